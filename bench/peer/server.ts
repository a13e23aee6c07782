/**
 * The peer: a deliberately plain implementation of the APIv3 reverse (Fastify + node-postgres), the yardstick the
 * bench holds tradegate against. Per request: parse and RSA-verify the Authorization header, check the clock
 * window, then one transaction (record the nonce, lock the order, write the refund and the new state), then an
 * async RSA signature of the answer. No batching, no caching beyond the parsed keys, no logging.
 * Run: node --import tsx bench/peer/server.ts <config.json>; prints "peer listening on http://…".
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import pg from 'pg';
import type { PeerConfig } from './schema.ts';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as PeerConfig;
const merchantKey = createPublicKey(config.merchantCertificatePem);
const platformKey = createPrivateKey(config.platformPrivateKeyPem);
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 20 });
const app = Fastify({ logger: false });
const AUTH = /^WECHATPAY2-SHA256-RSA2048 mchid="([^"]+)",nonce_str="([^"]+)",timestamp="(\d+)",serial_no="([^"]+)",signature="([^"]+)"$/;

function error(status: number, code: string, message: string) {
  return { status, body: JSON.stringify({ code, message }) };
}

async function reverse(outTradeNo: string, auth: string, body: string, path: string): Promise<{ status: number; body: string }> {
  const m = AUTH.exec(auth);
  if (!m) return error(401, 'SIGN_ERROR', 'bad authorization');
  const [, mchid, nonce, timestamp, , signature] = m as unknown as string[];
  const now = Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > 300) return error(401, 'SIGN_ERROR', 'timestamp');
  const message = `POST\n${path}\n${timestamp}\n${nonce}\n${body}\n`;
  if (!verify('sha256', Buffer.from(message), merchantKey, Buffer.from(signature, 'base64'))) return error(401, 'SIGN_ERROR', 'signature');
  const parsed = JSON.parse(body) as { appid?: string; mchid?: string };
  if (parsed.mchid !== mchid || parsed.appid !== config.appid) return error(400, 'PARAM_ERROR', 'mchid/appid');

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const fresh = await client.query('INSERT INTO peer_nonces (mchid, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      mchid,
      nonce,
      now + 600,
    ]);
    if (fresh.rowCount !== 1) {
      await client.query('ROLLBACK');
      return error(401, 'SIGN_ERROR', 'replayed nonce');
    }
    const order = await client.query<{ state: string; amount: number }>(
      'SELECT state, amount FROM peer_orders WHERE mchid = $1 AND out_trade_no = $2 FOR UPDATE',
      [mchid, outTradeNo],
    );
    const state = order.rows[0]?.state;
    if (state === undefined) {
      await client.query('ROLLBACK');
      return error(404, 'ORDER_NOT_EXIST', 'no such order');
    }
    if (state === 'SUCCESS') {
      await client.query('INSERT INTO peer_refunds (mchid, out_trade_no, amount, created_at) VALUES ($1, $2, $3, $4)', [
        mchid,
        outTradeNo,
        order.rows[0].amount,
        Date.now(),
      ]);
      await client.query("UPDATE peer_orders SET state = 'REVOKED', updated_at = $3 WHERE mchid = $1 AND out_trade_no = $2", [mchid, outTradeNo, Date.now()]);
    } else if (state !== 'REVOKED') {
      await client.query('ROLLBACK');
      return error(400, 'ORDER_CLOSED', 'cannot reverse');
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
  return { status: 200, body: JSON.stringify({ appid: config.appid, mchid, out_trade_no: outTradeNo }) };
}

app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
app.post<{ Params: { no: string }; Body: string }>('/v3/pay/transactions/out-trade-no/:no/reverse', async (request, reply) => {
  const answer = await reverse(request.params.no, request.headers.authorization ?? '', request.body, request.url);
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const signature = await new Promise<Buffer>((resolve, reject) =>
    sign('sha256', Buffer.from(`${ts}\n${nonce}\n${answer.body}\n`), platformKey, (e, s) => (e ? reject(e) : resolve(s))),
  );
  return reply
    .code(answer.status)
    .headers({
      'content-type': 'application/json',
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': nonce,
      'wechatpay-serial': config.platformSerialNo,
      'wechatpay-signature': signature.toString('base64'),
    })
    .send(answer.body);
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`peer listening on ${address}\n`);
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
