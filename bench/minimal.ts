/**
 * The minimal servers of `npm run bench`: bench/minimal-server.ts on a PostgreSQL database of its own, under the
 * rows' load generator and connections, with requests signed as a merchant signs them. What it answers per second,
 * and its p99, are what the machine leaves any server of the protocol's query and reverse: tradegate's rows are read
 * against them (bench/report.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { scratchDatabase } from './fixtures.ts';
import { meteredLoad, PEER_NODE_FLAGS, requestsLasting, startProcess, stopProcess } from './harness.ts';
import { type Prebuilt, signV3As, v3Query, v3Reverse } from './requests.ts';

export const MINIMAL_MCHID = '1900000109';
export type MinimalOperation = 'query' | 'reverse';
/** Orders a query row spreads over (a reverse row reverses each of its orders once). */
const QUERIED_ORDERS = 10_000;

/** A database of its own with the server's tables and `orders` paid orders M1…; dropped with `drop()`. */
export async function minimalDatabase(serverUrl: string, orders: number): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const database = await scratchDatabase(serverUrl, 'minimal');
  const db = new pg.Client({ connectionString: database.url });
  try {
    await db.connect();
    await db.query(`CREATE TABLE nonces (mchid text, nonce text, PRIMARY KEY (mchid, nonce));
      CREATE TABLE orders (mchid text, out_trade_no text, state text NOT NULL, body jsonb NOT NULL, PRIMARY KEY (mchid, out_trade_no));
      CREATE TABLE history (id bigserial PRIMARY KEY, mchid text NOT NULL, out_trade_no text NOT NULL, event text NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
    // The answer of a paid code payment, as large as tradegate's.
    await db.query(
      `INSERT INTO orders SELECT $1, 'M' || g, 'SUCCESS', jsonb_build_object('appid', 'wxd678efh567hg6787', 'mchid', $1::text,
         'out_trade_no', 'M' || g, 'transaction_id', '4200000000' || lpad(g::text, 18, '0'), 'trade_type', 'MICROPAY',
         'trade_state_desc', '支付成功', 'bank_type', 'OTHERS', 'attach', '', 'success_time', '2026-12-04T10:00:00+08:00',
         'payer', jsonb_build_object('openid', 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'),
         'amount', jsonb_build_object('total', 100, 'payer_total', 100, 'currency', 'CNY', 'payer_currency', 'CNY'))
       FROM generate_series(1, $2::int) g`,
      [MINIMAL_MCHID, orders],
    );
    await db.query('VACUUM ANALYZE orders');
    await db.query('CHECKPOINT');
  } catch (err) {
    await db.end();
    await database.drop();
    throw err;
  }
  await db.end();
  return database;
}

/**
 * `count` requests, each with a fresh nonce, signed with the merchant's key on every core: queries of orders
 * M1…M`orders` in turn, reverses of M1…M`count` (each once).
 */
export function minimalRequests(operation: MinimalOperation, merchantPrivateKeyPem: string, count: number, orders: number): Promise<Prebuilt[]> {
  const merchant = { mchid: MINIMAL_MCHID, appid: 'wxd678efh567hg6787' };
  const unsigned = operation === 'query' ? v3Query(merchant, 'M', orders, count) : v3Reverse(merchant, 'M', count);
  return signV3As({ mchid: MINIMAL_MCHID, privateKeyPem: merchantPrivateKeyPem, serialNo: 'BENCH' }, unsigned);
}

/** Starts the server on `databaseUrl`, trusting `merchantPublicKeyPem`. */
export async function startMinimalServer(databaseUrl: string, merchantPublicKeyPem: string) {
  const file = join(tmpdir(), `tradegate-bench-minimal-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify({ databaseUrl, merchantPublicKeyPem }), { mode: 0o600 });
  try {
    return await startProcess([...PEER_NODE_FLAGS, '--import', 'tsx', 'bench/minimal-server.ts', file]);
  } finally {
    rmSync(file, { force: true });
  }
}

export function merchantKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/**
 * One operation of the minimal server under load on `serverUrl`'s PostgreSQL, with the CPU per operation of the
 * server, its database's backends and the load generator, read as for tradegate's rows. Each pre-built request is used once:
 * a quarter more than `ceilingPerSecond` (the latency floor's throughput, which a server that also verifies and
 * writes cannot pass) answers in the warm-up and the measured seconds.
 */
export async function minimalRow(serverUrl: string, operation: MinimalOperation, quick: boolean, ceilingPerSecond: number) {
  const keys = merchantKeys();
  const count = quick ? 2000 : requestsLasting(ceilingPerSecond, 1.25);
  const orders = operation === 'query' ? QUERIED_ORDERS : count;
  const requests = await minimalRequests(operation, keys.privateKeyPem, count, orders);
  const database = await minimalDatabase(serverUrl, orders);
  try {
    const server = await startMinimalServer(database.url, keys.publicKeyPem);
    try {
      const { load, cpu } = await meteredLoad(
        server.child,
        [database.name],
        server.url,
        requests,
        operation === 'query' ? '"trade_state":"SUCCESS"' : '"recall":false',
      );
      return { load, cpu };
    } finally {
      await stopProcess(server.child);
    }
  } finally {
    await database.drop();
  }
}
