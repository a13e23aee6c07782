import type { Database, SqlClient } from './database.ts';

/** Versioned schema. Append only: a released migration is never edited. */
const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'orders, refunds, history, merchants, nonces, outbox',
    sql: `
      CREATE TABLE merchants (
        mchid text PRIMARY KEY,
        appid text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('direct','service_provider','sub_merchant')),
        parent_mchid text REFERENCES merchants(mchid),
        region text NOT NULL CHECK (region IN ('mainland','global')),
        settings jsonb NOT NULL,
        secrets jsonb,
        clock_offset_ms bigint NOT NULL DEFAULT 0,
        created_at bigint NOT NULL
      );
      CREATE TABLE orders (
        id text PRIMARY KEY,
        mchid text NOT NULL REFERENCES merchants(mchid),
        out_trade_no text NOT NULL,
        transaction_id text UNIQUE,
        trade_type text NOT NULL,
        state text NOT NULL CHECK (state IN ('NOTPAY','USERPAYING','SUCCESS','REFUND','CLOSED','REVOKED','PAYERROR')),
        amount bigint NOT NULL CHECK (amount > 0),
        currency text NOT NULL,
        description text NOT NULL,
        attach text,
        notify_url text,
        payer_openid text,
        fingerprint text NOT NULL,
        protocol text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        paid_at bigint,
        payer_confirm_at bigint,
        payer_deadline_at bigint,
        failure text,
        refunded_amount bigint NOT NULL DEFAULT 0,
        refund_count integer NOT NULL DEFAULT 0,
        extra jsonb NOT NULL DEFAULT '{}',
        UNIQUE (mchid, out_trade_no),
        CHECK (refunded_amount >= 0 AND refunded_amount <= amount)
      );
      CREATE INDEX orders_due ON orders (expires_at) WHERE state IN ('NOTPAY','USERPAYING');
      CREATE TABLE refunds (
        refund_id text PRIMARY KEY,
        order_id text NOT NULL REFERENCES orders(id),
        mchid text NOT NULL,
        out_refund_no text,
        amount bigint NOT NULL CHECK (amount > 0),
        currency text NOT NULL,
        status text NOT NULL,
        cause text NOT NULL CHECK (cause IN ('refund','reverse','void')),
        reason text,
        notify_url text,
        fingerprint text NOT NULL,
        protocol text NOT NULL,
        created_at bigint NOT NULL,
        settle_at bigint NOT NULL,
        success_at bigint,
        UNIQUE (mchid, out_refund_no)
      );
      CREATE INDEX refunds_order ON refunds (order_id);
      CREATE TABLE order_history (
        id bigserial PRIMARY KEY,
        order_id text NOT NULL REFERENCES orders(id),
        from_state text,
        to_state text NOT NULL,
        cause text NOT NULL,
        protocol text NOT NULL,
        request_id text,
        at bigint NOT NULL,
        refund_id text
      );
      CREATE INDEX order_history_order ON order_history (order_id, id);
      CREATE TABLE auth_nonces (
        mchid text NOT NULL,
        nonce text NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (mchid, nonce)
      );
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        mchid text NOT NULL,
        order_id text NOT NULL REFERENCES orders(id),
        refund_id text,
        kind text NOT NULL,
        protocol text NOT NULL,
        url text NOT NULL,
        due_at bigint NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        created_at bigint NOT NULL
      );
      CREATE INDEX outbox_pending ON outbox (due_at) WHERE status = 'pending';
    `,
  },
  {
    version: 2,
    name: 'gateway-wide secrets (sandbox CA, PayCloud gateway key) shared by every process',
    sql: `
      CREATE TABLE gateway_secrets (
        name text PRIMARY KEY,
        value jsonb NOT NULL,
        created_at bigint NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'notification delivery: stored payload, leases, attempts',
    sql: `
      ALTER TABLE outbox ADD COLUMN payload text;
      ALTER TABLE outbox ADD COLUMN lease_until bigint;
      ALTER TABLE outbox ADD COLUMN delivered_at bigint;
      CREATE TABLE notification_attempts (
        id bigserial PRIMARY KEY,
        outbox_id bigint NOT NULL REFERENCES outbox(id),
        attempt integer NOT NULL,
        at bigint NOT NULL,
        wall_at bigint NOT NULL,
        status_code integer,
        response text,
        error text,
        duration_ms integer NOT NULL,
        acknowledged boolean NOT NULL
      );
      CREATE INDEX notification_attempts_outbox ON notification_attempts (outbox_id, attempt);
      CREATE INDEX outbox_mchid ON outbox (mchid, id);
    `,
  },
  {
    version: 4,
    name: 'settlement on the order, due time for the sweeper, state-machine event in the history',
    // Orders made before keep their rate in `extra` and are read from there (rows.ts); due_at is filled here.
    sql: `
      ALTER TABLE orders ADD COLUMN settlement_rate bigint;
      ALTER TABLE orders ADD COLUMN payer_currency text;
      ALTER TABLE orders ADD COLUMN payer_amount bigint;
      ALTER TABLE orders ADD COLUMN due_at bigint;
      UPDATE orders SET due_at = CASE
        WHEN state = 'NOTPAY' THEN expires_at + 1
        WHEN state = 'USERPAYING' AND payer_confirm_at IS NOT NULL AND (payer_deadline_at IS NULL OR payer_confirm_at < payer_deadline_at)
          THEN payer_confirm_at
        WHEN state = 'USERPAYING' THEN payer_deadline_at
      END;
      DROP INDEX orders_due;
      CREATE INDEX orders_due ON orders (due_at) WHERE due_at IS NOT NULL;
      ALTER TABLE order_history ADD COLUMN event text;
      `,
  },
  {
    version: 5,
    name: "PayCloud app_id lookup by index (an unauthenticated path; was a scan over every merchant's secrets)",
    sql: `
      CREATE INDEX merchants_paycloud_app_id ON merchants ((secrets->'paycloud'->>'appId'))
        WHERE secrets->'paycloud'->>'appId' IS NOT NULL;
      `,
  },
  {
    version: 6,
    name: 'fault lab: per-merchant fault plan, fired-faults log, live-fault count read with the merchant',
    sql: `
      ALTER TABLE merchants ADD COLUMN fault_count integer NOT NULL DEFAULT 0;
      CREATE TABLE faults (
        id bigserial PRIMARY KEY,
        mchid text NOT NULL REFERENCES merchants(mchid),
        operation text NOT NULL,
        dialect text,
        out_trade_no text,
        effect text NOT NULL,
        commit_point text,
        delay_ms integer NOT NULL,
        times integer NOT NULL CHECK (times >= 1),
        fired integer NOT NULL DEFAULT 0,
        created_at bigint NOT NULL
      );
      CREATE INDEX faults_mchid ON faults (mchid, id);
      CREATE TABLE fault_firings (
        id bigserial PRIMARY KEY,
        mchid text NOT NULL,
        fault_id bigint,
        effect text NOT NULL,
        commit_point text,
        operation text NOT NULL,
        dialect text NOT NULL,
        out_trade_no text,
        request_id text,
        at bigint NOT NULL
      );
      CREATE INDEX fault_firings_order ON fault_firings (mchid, out_trade_no, id);
      `,
  },
  {
    version: 7,
    name: 'request log, dashboard sessions, order listing index',
    sql: `
      CREATE TABLE request_log (
        id bigserial PRIMARY KEY,
        at bigint NOT NULL,
        mchid text,
        dialect text NOT NULL,
        operation text,
        method text NOT NULL,
        path text NOT NULL,
        status integer NOT NULL,
        error_code text,
        message text,
        latency_ms real NOT NULL,
        request_id text NOT NULL,
        out_trade_no text,
        transaction_id text,
        diagnostics jsonb
      );
      CREATE INDEX request_log_at ON request_log (at);
      CREATE INDEX request_log_mchid ON request_log (mchid, id);
      CREATE INDEX request_log_request_id ON request_log (request_id);
      CREATE INDEX request_log_out_trade_no ON request_log (out_trade_no) WHERE out_trade_no IS NOT NULL;
      CREATE INDEX request_log_transaction_id ON request_log (transaction_id) WHERE transaction_id IS NOT NULL;
      CREATE TABLE dashboard_sessions (
        id_hash text PRIMARY KEY,
        csrf text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX orders_listing ON orders (mchid, created_at DESC, id DESC);
      CREATE INDEX orders_prefix ON orders (mchid, out_trade_no text_pattern_ops);
      CREATE INDEX merchants_listing ON merchants (created_at, mchid);
    `,
  },
  {
    version: 8,
    name: 'request log: fewer indexes on the request path',
    // Every API request inserts a row here: each index is a b-tree insertion per request (the request log cost
    // +11 % CPU per APIv3 reverse with five). Kept: the listing by merchant and the lookup by order number. The
    // age-based prune (once a minute), the lookup by transaction id and by request id (an order's page in the
    // dashboard) read the bounded table (100,000 rows by default) without them.
    sql: `
      DROP INDEX IF EXISTS request_log_at;
      DROP INDEX IF EXISTS request_log_request_id;
      DROP INDEX IF EXISTS request_log_transaction_id;
    `,
  },
  {
    version: 9,
    name: 'request log: no index by order number',
    // No query used it: an order's requests are found by order number OR transaction id OR the request ids of its
    // history, and with no index for the other two the planner reads the table in id order whatever this one
    // offers (EXPLAIN: ~21 ms at 100,000 rows, the table's default bound). Each row paid it on the way in: 3.5 µs
    // of the COPY backend's ~9.7 (bench/results/2026-12-04-notes.md).
    sql: `
      DROP INDEX IF EXISTS request_log_out_trade_no;
    `,
  },
  {
    version: 10,
    name: 'nonces: the purge reads only the expired',
    // The sweeper deletes expired nonces every second. Without an index that was a read of every live nonce: a
    // gateway at 2,000 APIv3 requests/s holds 1.2 million (ten minutes' worth), ~85 ms of PostgreSQL a second —
    // +40 µs of PostgreSQL CPU per reverse once a gateway has run ten minutes (bench/results/2026-12-05-notes.md).
    // Nonces expire in the order they were taken, so each insert lands on the index's rightmost page.
    sql: `
      CREATE INDEX auth_nonces_expiry ON auth_nonces (expires_at);
    `,
  },
  {
    version: 11,
    name: 'request log: no index by merchant',
    // The last index the request path paid besides the key: COPY of a row cost PostgreSQL 4.5–4.8 µs without it
    // against 6.8–7.8 with it, its prune and vacuum included (bench/results/2026-12-05-notes.md). The listing by
    // merchant reads the key backwards and stops at its page's last row: 0.2 ms for a merchant among 40, ~10 ms
    // for one with no row in 100,000 (the table's default bound), which a diagnostic page can afford.
    sql: `
      DROP INDEX IF EXISTS request_log_mchid;
    `,
  },
  {
    version: 12,
    name: 'request log: one row per batch of requests',
    // A row per request cost PostgreSQL ~16 µs of CPU per request in place (heap tuple, key, sequence, fourteen
    // columns parsed, their WAL); a batch's lines as one text value ~1 µs in a loop (request-log/store.ts). The rows logged
    // before are dropped with their table: the log is a bounded diagnostic ring, and starts again empty. lz4 where
    // the server has it (compresses ~4× faster than pglz); PGlite is built without it and keeps pglz.
    sql: `
      DROP TABLE request_log;
      CREATE TABLE request_log_batches (
        id bigserial PRIMARY KEY,
        rows integer NOT NULL,
        skipped integer NOT NULL DEFAULT 0,
        last_at bigint NOT NULL,
        lines text NOT NULL
      );
      DO $$ BEGIN
        ALTER TABLE request_log_batches ALTER COLUMN lines SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported THEN NULL;
      END $$;
    `,
  },
];

/** Brings the schema up to date; safe when several processes start at once (advisory lock on PostgreSQL). */
export async function migrate(db: Database): Promise<number> {
  const run = async (client: SqlClient) => {
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    let count = 0;
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.exec(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      count++;
    }
    return count;
  };
  return db.transaction(async (client) => {
    if (db.kind === 'postgres') await client.query('SELECT pg_advisory_xact_lock(727274)');
    return run(client);
  });
}

/** Versions this build expects but the database lacks (readiness: a gateway is not ready while any is missing). */
export async function missingMigrations(db: Database): Promise<number[]> {
  const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => Number(r.version)));
  return MIGRATIONS.map((m) => m.version).filter((v) => !applied.has(v));
}
