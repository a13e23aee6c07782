/** Everything the order page shows, read fresh for each render (and each live poll). */
import QRCode from 'qrcode';
import type { Order } from '../core/order.ts';
import type { OrderRef } from '../core/ports.ts';
import { lockCurrentOrder } from '../operations/locked-order.ts';
import type { OperationContext } from '../operations/context.ts';
import { storedHandle } from '../protocols/wechat-payment-handles.ts';
import { requestsForOrder } from '../request-log/listing.ts';
import type { RequestLogWriter } from '../request-log/writer.ts';
import type { GatewayDeps } from '../server-deps.ts';
import type { OutboxStore } from '../store/outbox-store.ts';
import type { OrderTimeline } from './pages/order.ts';

/** The link a payer would scan: APIv2/v3 code_url, else any QR link a dialect stored, else the H5 URL. */
function payerLink(order: Order): string | null {
  const extra = order.extra;
  const codeUrl = storedHandle(extra, 'codeUrl');
  if (codeUrl) return codeUrl;
  for (const [k, v] of Object.entries(extra)) if (/qr/i.test(k) && typeof v === 'string' && v !== '') return v;
  return storedHandle(extra, 'h5Url') ?? null;
}

/** The fault lab's fired faults for this order, when that table exists (it is another feature's). */
async function firedFaults(deps: GatewayDeps, order: Order): Promise<Record<string, unknown>[] | null> {
  const db = deps.sql;
  const { rows } = await db.query<{ t: string | null }>("SELECT to_regclass('fired_faults')::text AS t");
  if (!rows[0]?.t) return null;
  try {
    const found = await db.query<{ f: unknown }>(
      `SELECT to_jsonb(f) AS f FROM fired_faults f
        WHERE to_jsonb(f)->>'order_id' = $1 OR (to_jsonb(f)->>'mchid' = $2 AND to_jsonb(f)->>'out_trade_no' = $3) LIMIT 200`,
      [order.id, order.mchid, order.outTradeNo],
    );
    return found.rows.map((r) => (typeof r.f === 'string' ? JSON.parse(r.f) : r.f) as Record<string, unknown>);
  } catch {
    return [];
  }
}

export async function orderTimeline(
  deps: GatewayDeps,
  ctx: OperationContext,
  ref: OrderRef,
  outbox: OutboxStore,
  requestLog: RequestLogWriter,
): Promise<OrderTimeline> {
  // Locked like every read of the sandbox: the order is caught up with its merchant's clock first.
  const { order } = await deps.store.transaction((tx) => lockCurrentOrder(tx, ctx, ref));
  const { refunds, history } = await deps.store.read(async (tx) => ({
    refunds: await tx.listRefunds(order.id),
    history: await tx.listHistory(order.id),
  }));
  const merchant = await deps.store.getMerchant(order.mchid);
  await requestLog.flush();
  const [notifications, requests, faults] = await Promise.all([
    outbox.listForMerchant(order.mchid, 500).then((all) => all.filter((n) => n.orderId === order.id)),
    requestsForOrder(deps.sql, {
      mchids: [order.mchid, ...(merchant?.parentMchid ? [merchant.parentMchid] : [])],
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId,
      orderId: order.id,
    }),
    firedFaults(deps, order),
  ]);
  const link = payerLink(order);
  const qr = link ? { link, image: await QRCode.toDataURL(link, { margin: 1, width: 200 }) } : null;
  return { order, refunds, history, notifications, requests, faults, qr };
}
