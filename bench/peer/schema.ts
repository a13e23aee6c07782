/** The peer's tables and fixtures: the same paid code-pay orders as tradegate's reverse row, in tables of its own. */
import pg from 'pg';

export interface PeerConfig {
  databaseUrl: string;
  appid: string;
  merchantCertificatePem: string;
  platformPrivateKeyPem: string;
  platformSerialNo: string;
}

export async function peerFixtures(databaseUrl: string, mchid: string, prefix: string, count: number): Promise<void> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(`
      CREATE TABLE IF NOT EXISTS peer_orders (mchid text NOT NULL, out_trade_no text NOT NULL, state text NOT NULL, amount bigint NOT NULL,
        updated_at bigint NOT NULL, PRIMARY KEY (mchid, out_trade_no));
      CREATE TABLE IF NOT EXISTS peer_refunds (id bigserial PRIMARY KEY, mchid text NOT NULL, out_trade_no text NOT NULL, amount bigint NOT NULL, created_at bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS peer_nonces (mchid text NOT NULL, nonce text NOT NULL, expires_at bigint NOT NULL, PRIMARY KEY (mchid, nonce));`);
    await c.query(`INSERT INTO peer_orders SELECT $1, $2 || g, 'SUCCESS', 100, 0 FROM generate_series(1, $3::int) g`, [mchid, prefix, count]);
    await c.query('VACUUM (ANALYZE) peer_orders');
  } finally {
    await c.end();
  }
}
