/**
 * The least an APIv3 order query and an APIv3 reverse must do, and nothing else: read the request, verify the
 * merchant's RSA signature over it, write its nonce durably (a replayed request is refused), read the order — for a
 * reverse, change a paid order to reversed and write its history row — then sign the answer with RSA-2048 off the
 * event loop and send it. No framework, no serial-number or timestamp checks, no request log, no refund, no
 * notification, no error map: only the work no implementation of the protocol can skip, done as cheaply as Node and
 * PostgreSQL allow — every request that arrives in the same turn of the event loop, or while the connections are
 * busy, goes in one statement (one round trip and one WAL flush for all), on 5 connections as tradegate's pool.
 * Under the bench's load generator it says what throughput and p99 the machine leaves any server of the protocol
 * (bench/minimal.ts).
 * Run: node --import tsx bench/minimal-server.ts <config.json> (databaseUrl, merchantPublicKeyPem; tables made by
 * bench/minimal.ts); prints "minimal listening on http://…". `GET /public-key` answers the key that verifies its
 * answers.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { sendSigned } from './signed-answer.ts';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as { databaseUrl: string; merchantPublicKeyPem: string };
const merchantKey = createPublicKey(config.merchantPublicKeyPem);
const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
const platformPublicPem = platform.publicKey.export({ type: 'spki', format: 'pem' });
const CONNECTIONS = 5;
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: CONNECTIONS });

type Operation = 'query' | 'reverse';
const INPUT = `input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(mchid, nonce, out_trade_no, i)),
  fresh AS (INSERT INTO nonces (mchid, nonce) SELECT mchid, nonce FROM input ON CONFLICT DO NOTHING RETURNING mchid, nonce)`;
/**
 * Per request, in the requests' order: whether its nonce was new, and its order's state before the statement (a
 * statement's own changes are not visible to it). A reverse changes only a paid order whose request was fresh.
 */
const STATEMENTS: Record<Operation, { name: string; text: string }> = {
  query: {
    name: 'minimal-query',
    text: `WITH ${INPUT}
      SELECT fresh.nonce IS NOT NULL AS fresh, o.state, o.body FROM input LEFT JOIN fresh USING (mchid, nonce)
        LEFT JOIN orders o ON o.mchid = input.mchid AND o.out_trade_no = input.out_trade_no ORDER BY input.i`,
  },
  reverse: {
    name: 'minimal-reverse',
    text: `WITH ${INPUT},
      reversed AS (UPDATE orders o SET state = 'REVOKED' FROM fresh JOIN input USING (mchid, nonce)
        WHERE o.mchid = input.mchid AND o.out_trade_no = input.out_trade_no AND o.state = 'SUCCESS' RETURNING o.mchid, o.out_trade_no),
      logged AS (INSERT INTO history (mchid, out_trade_no, event) SELECT mchid, out_trade_no, 'reversed' FROM reversed)
      SELECT fresh.nonce IS NOT NULL AS fresh, o.state, NULL::jsonb AS body FROM input LEFT JOIN fresh USING (mchid, nonce)
        LEFT JOIN orders o ON o.mchid = input.mchid AND o.out_trade_no = input.out_trade_no ORDER BY input.i`,
  },
};

interface Waiting {
  readonly res: ServerResponse;
  readonly mchid: string;
  readonly nonce: string;
  readonly outTradeNo: string;
}
const waiting: Record<Operation, Waiting[]> = { query: [], reverse: [] };
let busy = 0;
let due = false;

const answer = (res: ServerResponse, status: number, body: string) => sendSigned(res, status, body, platform.privateKey);

function reply(operation: Operation, res: ServerResponse, row: { fresh: boolean; state: string | null; body: unknown }): void {
  if (!row.fresh) answer(res, 401, '{"code":"SIGN_ERROR","message":"nonce already used"}');
  else if (row.state === null) answer(res, 404, '{"code":"ORDER_NOT_EXIST","message":"order does not exist"}');
  else if (operation === 'query') answer(res, 200, JSON.stringify({ ...(row.body as object), trade_state: row.state }));
  // A paid order is reversed by this statement, a reversed one already was (or by a concurrent one).
  else if (row.state === 'SUCCESS' || row.state === 'REVOKED') answer(res, 200, '{"recall":false}');
  else answer(res, 400, '{"code":"INVALID_REQUEST","message":"order cannot be reversed"}');
}

/** Sends what waits, one statement per operation, on free connections; what arrives meanwhile waits for the next. */
function send(): void {
  due = false;
  for (const operation of ['query', 'reverse'] as const) {
    if (busy >= CONNECTIONS || waiting[operation].length === 0) continue;
    const batch = waiting[operation];
    waiting[operation] = [];
    busy++;
    pool
      .query<{ fresh: boolean; state: string | null; body: unknown }>({
        ...STATEMENTS[operation],
        values: [batch.map((w) => w.mchid), batch.map((w) => w.nonce), batch.map((w) => w.outTradeNo)],
      })
      .then(
        ({ rows }) => {
          for (const [i, row] of rows.entries()) reply(operation, batch[i].res, row);
        },
        () => {
          for (const w of batch) w.res.writeHead(500).end();
        },
      )
      .finally(() => {
        busy--;
        send();
      });
  }
}

const AUTHORIZATION = /^WECHATPAY2-SHA256-RSA2048 mchid="([^"]+)",nonce_str="([^"]+)",timestamp="(\d+)",serial_no="[^"]*",signature="([^"]+)"$/;
const ROUTES: [string, RegExp, Operation][] = [
  ['GET', /^\/v3\/pay\/transactions\/out-trade-no\/([^/?]+)\?mchid=\d+$/, 'query'],
  ['POST', /^\/v3\/pay\/transactions\/out-trade-no\/([^/?]+)\/reverse$/, 'reverse'],
];

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/public-key') {
    res.end(platformPublicPem);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => {
    const url = req.url ?? '';
    let operation: Operation | undefined;
    let outTradeNo = '';
    for (const [method, path, name] of ROUTES) {
      const m = req.method === method ? path.exec(url) : null;
      if (m) [operation, outTradeNo] = [name, m[1]];
    }
    if (!operation) return answer(res, 404, '{"code":"NOT_FOUND","message":"no such operation"}');
    const auth = AUTHORIZATION.exec(req.headers.authorization ?? '');
    const message = auth && Buffer.from(`${req.method}\n${url}\n${auth[3]}\n${auth[2]}\n${Buffer.concat(chunks).toString()}\n`);
    if (!auth || !message || !verify('sha256', message, merchantKey, Buffer.from(auth[4], 'base64'))) {
      return answer(res, 401, '{"code":"SIGN_ERROR","message":"signature does not verify"}');
    }
    waiting[operation].push({ res, mchid: auth[1], nonce: auth[2], outTradeNo });
    if (!due) {
      due = true;
      setImmediate(send);
    }
  });
}

const server = createServer(handle);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(`minimal listening on http://127.0.0.1:${address.port}\n`);
});
