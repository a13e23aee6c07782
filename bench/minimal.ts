/**
 * The minimal servers of `npm run bench`: bench/minimal-server.ts on a PostgreSQL database of its own, under the
 * rows' load generator and connections, with requests signed as a merchant signs them. What it answers per second,
 * and its p99, are what the machine leaves any server of the protocol's query and reverse: tradegate's rows are read
 * against them (bench/report.ts).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { scratchDatabase } from './fixtures.ts';
import { meteredLoad, PEER_NODE_FLAGS, SECONDS, startProcess, stopProcess, WARMUP_SECONDS } from './harness.ts';
import type { Prebuilt } from './requests.ts';
import { signAll } from './rsa-pool.ts';

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

/** `count` requests of orders M1…M`orders` (in turn), each with a fresh nonce, signed with the merchant's key on every core. */
export async function minimalRequests(operation: MinimalOperation, merchantPrivateKeyPem: string, count: number, orders: number): Promise<Prebuilt[]> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const order = (i: number) => `M${(i % orders) + 1}`;
  const [method, body] = operation === 'query' ? ['GET', ''] : ['POST', JSON.stringify({ appid: 'wxd678efh567hg6787', mchid: MINIMAL_MCHID })];
  const paths = Array.from({ length: count }, (_, i) =>
    operation === 'query' ? `/v3/pay/transactions/out-trade-no/${order(i)}?mchid=${MINIMAL_MCHID}` : `/v3/pay/transactions/out-trade-no/${order(i)}/reverse`,
  );
  const nonces = paths.map(() => randomBytes(16).toString('hex'));
  const signatures = await signAll(
    merchantPrivateKeyPem,
    paths.map((path, i) => `${method}\n${path}\n${timestamp}\n${nonces[i]}\n${body}\n`),
  );
  return paths.map((path, i) => ({
    method,
    path,
    headers: {
      authorization: `WECHATPAY2-SHA256-RSA2048 mchid="${MINIMAL_MCHID}",nonce_str="${nonces[i]}",timestamp="${timestamp}",serial_no="BENCH",signature="${signatures[i]}"`,
      accept: 'application/json',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body } : {}),
  }));
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
  const count = quick ? 2000 : Math.ceil(1.25 * ceilingPerSecond * (SECONDS + WARMUP_SECONDS));
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
