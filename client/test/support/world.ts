/**
 * The world the client's tests run in: a real tradegate (this repository's gateway, in-process, with its HTTPS
 * listener for APIv2 mutual TLS) and merchants provisioned through its sandbox API. Only the tests use the
 * gateway's code; the client library itself never imports it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { primaryDatabase } from '../../../test/helpers/database.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../../../test/helpers/gateway.ts';
import type { Dialect, MerchantCredentials } from '../../src/index.ts';

export { ADMIN_TOKEN };

export interface World {
  gw: TestGateway;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const database = primaryDatabase();
  const gw = await startTestGateway(database, undefined, { tls: true });
  return {
    gw,
    close: async () => {
      await gw.close();
      await database.cleanup();
    },
  };
}

/** A merchant for `dialect` (Global/HK for wechatpay-global), as its credentials JSON. */
export async function merchantFor(gw: TestGateway, dialect: Dialect): Promise<MerchantCredentials & Record<string, unknown>> {
  return (await gw.newMerchant(dialect === 'wechatpay-global' ? { region: 'global', currency: 'HKD' } : {})) as never;
}

export const currencyFor = (dialect: Dialect) => (dialect === 'wechatpay-global' ? 'HKD' : 'CNY');

/** The folders `tempJournal` made; removed when the test file's process exits (each file runs in one of its own). */
const journalDirs: string[] = [];
process.once('exit', () => {
  for (const dir of journalDirs) rmSync(dir, { recursive: true, force: true });
});

export function tempJournal(name = 'pos'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tradegate-client-'));
  journalDirs.push(dir);
  return join(dir, `${name}.journal`);
}

/** The sandbox's own view of an order (state, amount, paid_at, refunds, history). */
export async function sandboxView(gw: TestGateway, mchid: string, no: string): Promise<any> {
  const r = await gw.admin('GET', `/sandbox/merchants/${mchid}/orders/${encodeURIComponent(no)}`);
  return r.status === 200 ? r.body : null;
}

/** An 18-digit test auth code with the scenario ending (README "Test auth codes"). */
export const authCode = (ending: string) => `1345678901234${ending.padStart(5, '0')}`;
