/** Benchmark fixtures: a fresh database per backend, a merchant, and orders created in bulk by SQL. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/core/ports.ts';
import { provisionMerchant } from '../src/sandbox/provision.ts';
import { openStore } from '../src/store/open-store.ts';
import type { SqlStore } from '../src/store/sql-store.ts';
import type { Merchant } from '../src/core/merchant.ts';

export interface Backend {
  readonly name: 'postgres' | 'pglite';
  /** Flags that point `tradegate start` at this database. */
  readonly startFlags: string[];
  open(): Promise<SqlStore>;
  drop(): Promise<void>;
}

/** The PostgreSQL database a backend's gateway works in, as the CPU meters name it; none for PGlite. */
export function databasesOf(backend: Backend): string[] {
  const i = backend.startFlags.indexOf('--database-url');
  return i < 0 ? [] : [new URL(backend.startFlags[i + 1]).pathname.slice(1)];
}

/** A database of its own on `serverUrl`, named for the bench; `drop()` removes it whoever is still connected. */
export async function scratchDatabase(serverUrl: string, tag: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `tradegate_bench_${tag}_${Date.now()}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`) };
}

export async function postgresBackend(serverUrl: string, tag: string): Promise<Backend> {
  const database = await scratchDatabase(serverUrl, tag);
  return {
    name: 'postgres',
    startFlags: ['--database-url', database.url],
    open: () => openStore({ databaseUrl: database.url }),
    drop: database.drop,
  };
}

export function pgliteBackend(): Backend {
  const dataDir = mkdtempSync(join(tmpdir(), 'tradegate-bench-'));
  return {
    name: 'pglite',
    startFlags: ['--data-dir', dataDir],
    open: () => openStore({ dataDir }),
    // The data directory holds the run's orders and nonces (~800 MB after a full run): removed, as the server's
    // databases are dropped.
    drop: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

export async function benchMerchant(store: SqlStore): Promise<Merchant> {
  return provisionMerchant(store, systemClock, { settings: { currency: 'CNY' } });
}

/**
 * Inserts `count` orders numbered `${prefix}1…` in one statement: paid code payments (reverse, query) or unpaid
 * native orders (close). Created an hour ago on the merchant's clock so that every window is open; an unpaid order
 * is due when it expires, as the gateway stores it (the sweeper looks for it every second).
 */
export async function bulkOrders(store: SqlStore, m: Merchant, prefix: string, count: number, kind: 'paid-code' | 'unpaid-native'): Promise<void> {
  // In statements of at most 100k rows: each must finish within the store's statement timeout (5 s by default).
  for (let from = 1; from <= count; from += BULK_CHUNK) await bulkChunk(store, m, prefix, from, Math.min(count, from + BULK_CHUNK - 1), kind);
}

const BULK_CHUNK = 100_000;

async function bulkChunk(store: SqlStore, m: Merchant, prefix: string, from: number, to: number, kind: 'paid-code' | 'unpaid-native'): Promise<void> {
  const now = Date.now();
  const created = now - 3600_000;
  const paid = kind === 'paid-code';
  // Transaction ids unique per prefix: the prefix's character code, then the sequence.
  const digit = [...prefix].map((ch) => String(ch.charCodeAt(0)).padStart(3, '0')).join('');
  await store.db.query(
    `INSERT INTO orders (id, mchid, out_trade_no, transaction_id, trade_type, state, amount, currency, description, fingerprint,
       protocol, created_at, expires_at, paid_at, extra, due_at)
     SELECT $1::text || g, $2::text, $1::text || g, CASE WHEN $10::bool THEN '42' || $3::text || lpad(g::text, 23 - length($3::text), '0') END, $4::text,
       $5::text, 100, 'CNY', 'bench', 'bench', 'wechatpay-v3', $6::bigint, $7::bigint, CASE WHEN $10::bool THEN $6::bigint END,
       jsonb_build_object('appid', $8::text), CASE WHEN NOT $10::bool THEN $7::bigint END
     FROM generate_series($11::int, $9::int) g`,
    [prefix, m.mchid, digit, paid ? 'MICROPAY' : 'NATIVE', paid ? 'SUCCESS' : 'NOTPAY', created, created + 7 * 86400_000, m.appid, to, paid, from],
  );
}
