/**
 * Prometheus metrics (prom-client), one registry per gateway (tests run several gateways in one process).
 * Labels carry no merchant data: dialect, operation (the route pattern or PayCloud method, never a raw URL),
 * outcome and the protocol's error code. On the request path a metric is one label lookup and an increment;
 * the outbox and pool figures are read only when /metrics is scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Outcome = 'ok' | 'refused' | 'error';
export type AttemptResult = 'delivered' | 'rejected' | 'unreachable' | 'undeliverable';

export interface OutboxFigures {
  /** Events waiting for (another) delivery attempt. */
  readonly pending: number;
  /** How long the oldest event that is due has waited past its due time (0: none is due). */
  readonly oldestDueAgeSeconds: number;
}

export interface PoolFigures {
  readonly max: number;
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

/** What /metrics reads at scrape time; absent until the database is open. */
export interface ScrapeSources {
  outbox(): Promise<OutboxFigures>;
  pool(): PoolFigures;
  /** Shared transactions of the order store since it opened. */
  shared(): SharedFigures;
}

export interface SharedFigures {
  readonly transactions: number;
  readonly units: number;
  readonly reruns: number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private sources: ScrapeSources | null = null;

  private readonly requests = new Counter({
    name: 'tradegate_requests_total',
    help: 'Requests answered, by dialect, operation, outcome (ok, refused, error) and error code ("" when ok)',
    labelNames: ['dialect', 'operation', 'outcome', 'code'] as const,
    registers: [this.registry],
  });

  private readonly latency = new Histogram({
    name: 'tradegate_request_duration_seconds',
    help: 'Time from request to answer, by dialect, operation and outcome',
    labelNames: ['dialect', 'operation', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  private readonly attempts = new Counter({
    name: 'tradegate_notification_attempts_total',
    help: 'Notification delivery attempts by dialect and result (delivered, rejected by the merchant, unreachable, undeliverable)',
    labelNames: ['dialect', 'result'] as const,
    registers: [this.registry],
  });

  /** `processMetrics`: also Node's own (CPU, memory, event-loop lag); once per process, not per test server. */
  constructor(options: { processMetrics?: boolean } = {}) {
    const sources = () => this.sources;
    let outbox: Promise<OutboxFigures> | null = null;
    // Both outbox gauges come from one query per scrape.
    const outboxOnce = (s: ScrapeSources) =>
      (outbox ??= s.outbox().finally(() =>
        setImmediate(() => {
          outbox = null;
        }),
      ));
    new Gauge({
      name: 'tradegate_outbox_backlog',
      help: 'Notification events waiting for a delivery attempt (due now or retried later)',
      registers: [this.registry],
      async collect() {
        const s = sources();
        if (!s) return;
        this.set((await outboxOnce(s)).pending);
      },
    });
    new Gauge({
      name: 'tradegate_outbox_oldest_due_age_seconds',
      help: 'How long the oldest due notification has waited past its due time (0 when none is due)',
      registers: [this.registry],
      async collect() {
        const s = sources();
        if (!s) return;
        this.set((await outboxOnce(s)).oldestDueAgeSeconds);
      },
    });
    new Gauge({
      name: 'tradegate_store_pool_connections',
      help: 'Database connection pool of this process (embedded: its one connection): max, total (open), idle, waiting (requests queued for a connection)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = sources()?.pool();
        if (!pool) return;
        for (const state of ['max', 'total', 'idle', 'waiting'] as const) this.set({ state }, pool[state]);
      },
    });
    // Counted by the store; read at scrape time (a counter set to the store's own count).
    const sharedCounter = (name: string, help: string, figure: keyof SharedFigures) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          const shared = sources()?.shared();
          if (!shared) return;
          this.reset();
          this.inc(shared[figure]);
        },
      });
    sharedCounter(
      'tradegate_store_shared_transactions_total',
      'Database transactions that carried order operations started together (units per transaction = units ÷ this)',
      'transactions',
    );
    sharedCounter('tradegate_store_shared_transaction_units_total', 'Order operations (transactions and reads) carried by shared transactions', 'units');
    sharedCounter(
      'tradegate_store_shared_transaction_reruns_total',
      'Order operations run again alone after their shared transaction rolled back for a neighbour',
      'reruns',
    );
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'tradegate_' });
  }

  /** Called once the database is open. */
  attach(sources: ScrapeSources): void {
    this.sources = sources;
  }

  request(dialect: string, operation: string, outcome: Outcome, code: string, seconds: number): void {
    this.requests.labels(dialect, operation, outcome, code).inc();
    this.latency.labels(dialect, operation, outcome).observe(seconds);
  }

  attempt(dialect: string, result: AttemptResult): void {
    this.attempts.labels(dialect, result).inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
