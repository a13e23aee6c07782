/**
 * Answers that cannot be verified are "outcome unknown", never a result: a client configured with the wrong
 * platform key (APIv3), API key (APIv2: the gateway's unsigned return_code=FAIL) or gateway key (PayCloud) ends
 * `unknown` with the sequence pending in the journal; recover() with the right keys finishes it.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sandboxClock, TradegateClient, type Dialect, type MerchantCredentials } from '../src/index.ts';
import { ADMIN_TOKEN, authCode, merchantFor, sandboxView, startWorld, tempJournal, type World } from './support/world.ts';

const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const wrongKeys: Record<string, (c: MerchantCredentials) => MerchantCredentials> = {
  'wechatpay-v3': (c) => ({ ...c, platformCertificatePem: undefined, platformPublicKeyPem: other.publicKey.export({ type: 'spki', format: 'pem' }) as string }),
  'wechatpay-v2': (c) => ({ ...c, apiV2Key: 'x'.repeat(32) }),
  paycloud: (c) => ({
    ...c,
    paycloud: { ...c.paycloud!, gatewayPublicKeySpkiBase64: other.publicKey.export({ type: 'spki', format: 'der' }).toString('base64') },
  }),
};

describe('unverifiable answers', () => {
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world.close();
  });

  for (const [dialect, wrong] of Object.entries(wrongKeys)) {
    test(`${dialect}: unknown while nothing verifies, then recovered to the gateway's truth`, async () => {
      const c = await merchantFor(world.gw, dialect as Dialect);
      const clock = await sandboxClock({ baseUrl: c.baseUrl, adminToken: ADMIN_TOKEN, mchid: c.mchid });
      const journalPath = tempJournal();
      const blind = new TradegateClient({ credentials: wrong(c), journalPath, clock, requestTimeoutMs: 5000 });
      const outcome = await blind.payByCode({ dialect: dialect as Dialect, out_trade_no: 'V1', auth_code: authCode('7777'), amount: 990, deadlineMs: 30_000 });
      assert.equal(outcome.status, 'unknown', JSON.stringify(outcome));
      blind.close();
      const view = await sandboxView(world.gw, c.mchid, 'V1');
      // APIv2 with a wrong key is refused before anything happens; the others paid, unseen.
      assert.equal(view?.state ?? 'none', dialect === 'wechatpay-v2' ? 'none' : 'SUCCESS');

      const seeing = new TradegateClient({ credentials: c, journalPath, clock, requestTimeoutMs: 5000 });
      const [final] = await seeing.recover();
      assert.ok(final && final.status !== 'unknown', JSON.stringify(final));
      // Still before the pay deadline: the query finds the payment (APIv2: none, so the same pay is sent again).
      assert.equal(final.status, 'paid');
      const settled = await sandboxView(world.gw, c.mchid, 'V1');
      assert.equal(settled.state, 'SUCCESS');
      assert.equal(settled.refunded_amount, 0);
      seeing.close();
    });
  }
});
