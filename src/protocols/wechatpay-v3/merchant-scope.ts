/**
 * Whose order a request addresses, and how the merchant fields appear on the wire: a direct merchant
 * (`appid`, `mchid`) or a service provider acting for a sub-merchant (`sp_appid`, `sp_mchid`, `sub_appid`,
 * `sub_mchid`). Only the authenticated caller itself, or a provider for its own sub-merchants, is allowed.
 */
import type { FastifyRequest } from 'fastify';
import type { Merchant } from '../../core/merchant.ts';
import type { Order } from '../../core/order.ts';
import type { GatewayDeps } from '../../server-deps.ts';
import type { BodyReader } from './body.ts';
import { paramError, V3Error } from './errors.ts';
import { callerOf } from './request-context.ts';

export type MerchantScope =
  | { readonly kind: 'direct'; readonly mchid: string; readonly appid: string }
  | { readonly kind: 'partner'; readonly spMchid: string; readonly spAppid: string; readonly subMchid: string; readonly subAppid: string | null };

/** The merchant whose orders the scope addresses (the sub-merchant in partner mode). */
export function effectiveMchid(scope: MerchantScope): string {
  return scope.kind === 'direct' ? scope.mchid : scope.subMchid;
}

/**
 * The merchant fields as responses and notifications echo them, first in a new object that callers add their own
 * fields to. Built from a literal, never by spreading one: on Node 20's V8 a property added to an object that
 * starts as a spread copy (`{ ...a, b }`, or `b` assigned to `{ ...a }`) takes the runtime's slow path and makes a
 * new hidden class in the old generation every time — ~2 µs and garbage for a full collection per view of four
 * fields (bench/results/2026-12-05-notes.md, seventh session).
 */
export function scopeFields(scope: MerchantScope): Record<string, unknown> {
  if (scope.kind === 'direct') return { appid: scope.appid, mchid: scope.mchid };
  const fields: Record<string, unknown> = { sp_appid: scope.spAppid, sp_mchid: scope.spMchid };
  if (scope.subAppid) fields.sub_appid = scope.subAppid;
  fields.sub_mchid = scope.subMchid;
  return fields;
}

/** How an existing order presents its merchant: its own merchant, or its provider and itself. */
export function scopeOfOrder(order: Order, merchant: Merchant, provider: Merchant | null): MerchantScope {
  if (merchant.kind === 'sub_merchant' && provider) {
    const subAppid = typeof order.extra.sub_appid === 'string' ? order.extra.sub_appid : null;
    return { kind: 'partner', spMchid: provider.mchid, spAppid: provider.appid, subMchid: merchant.mchid, subAppid };
  }
  return { kind: 'direct', mchid: merchant.mchid, appid: typeof order.extra.appid === 'string' ? order.extra.appid : merchant.appid };
}

const noAuth = (message: string) => new V3Error(403, { code: 'NO_AUTH', message });

/** A provider may act only for its own sub-merchants. */
async function subMerchantOf(deps: GatewayDeps, provider: Merchant, subMchid: string): Promise<Merchant> {
  if (provider.kind !== 'service_provider') throw noAuth('商户号不是服务商');
  const sub = await deps.store.getMerchant(subMchid);
  if (sub?.kind !== 'sub_merchant' || sub.parentMchid !== provider.mchid) throw noAuth('子商户号与服务商不存在受理关系');
  return sub;
}

export type ScopeMode = 'direct' | 'partner' | 'either';

/** Reads and authorizes the merchant fields of a JSON body. `needAppid`: create requests must name the app. */
export async function scopeFromBody(deps: GatewayDeps, request: FastifyRequest, body: BodyReader, mode: ScopeMode, needAppid: boolean): Promise<MerchantScope> {
  const caller = callerOf(request).merchant;
  const partner = mode === 'partner' || (mode === 'either' && body.raw('sp_mchid') !== undefined);
  if (!partner) {
    const appid = body.string('appid', needAppid, { max: 32 });
    const mchid = body.string('mchid', true, { max: 32 });
    if (mchid !== caller.mchid) throw noAuth('商户号与请求签名的商户号不一致');
    if (appid !== null && appid !== caller.appid) throw new V3Error(400, { code: 'APPID_MCHID_NOT_MATCH', message: 'appid和mch_id不匹配' });
    return { kind: 'direct', mchid, appid: appid ?? caller.appid };
  }
  const spAppid = body.string('sp_appid', needAppid, { max: 32 });
  const spMchid = body.string('sp_mchid', true, { max: 32 });
  const subMchid = body.string('sub_mchid', true, { max: 32 });
  const subAppid = body.string('sub_appid', false, { max: 32 });
  if (spMchid !== caller.mchid) throw noAuth('服务商商户号与请求签名的商户号不一致');
  const sub = await subMerchantOf(deps, caller, subMchid);
  if (spAppid !== null && spAppid !== caller.appid) throw new V3Error(400, { code: 'APPID_MCHID_NOT_MATCH', message: 'sp_appid和sp_mchid不匹配' });
  if (subAppid !== null && subAppid !== sub.appid) throw new V3Error(400, { code: 'APPID_MCHID_NOT_MATCH', message: 'sub_appid和sub_mchid不匹配' });
  return { kind: 'partner', spMchid, spAppid: spAppid ?? caller.appid, subMchid, subAppid };
}

/** Reads and authorizes `?mchid=` or `?sp_mchid=&sub_mchid=`. */
export async function scopeFromQuery(deps: GatewayDeps, request: FastifyRequest, mode: ScopeMode): Promise<MerchantScope> {
  const caller = callerOf(request).merchant;
  const query = request.query as Record<string, unknown>;
  const text = (name: string) => {
    const v = query[name];
    if (typeof v !== 'string' || v === '') throw paramError(name, v ?? null, `缺少必填参数${name}`, 'query');
    return v;
  };
  const partner = mode === 'partner' || (mode === 'either' && query.sp_mchid !== undefined);
  if (!partner) {
    const mchid = text('mchid');
    if (mchid !== caller.mchid) throw noAuth('商户号与请求签名的商户号不一致');
    return { kind: 'direct', mchid, appid: caller.appid };
  }
  const spMchid = text('sp_mchid');
  const subMchid = text('sub_mchid');
  if (spMchid !== caller.mchid) throw noAuth('服务商商户号与请求签名的商户号不一致');
  await subMerchantOf(deps, caller, subMchid);
  return { kind: 'partner', spMchid, spAppid: caller.appid, subMchid, subAppid: null };
}

/** The scope an order is shown in, for a request made in `scope`: the app ids are the ones the order was made with. */
export function viewScope(scope: MerchantScope, order: Order): MerchantScope {
  const stored = (name: string) => (typeof order.extra[name] === 'string' ? (order.extra[name] as string) : null);
  if (scope.kind === 'direct') return { ...scope, appid: stored('appid') ?? scope.appid };
  return { ...scope, subAppid: stored('sub_appid') };
}

/** What a create request records about its merchant fields on the order. */
export function scopeExtra(scope: MerchantScope): Record<string, string> {
  if (scope.kind === 'direct') return { appid: scope.appid };
  return { sp_appid: scope.spAppid, ...(scope.subAppid ? { sub_appid: scope.subAppid } : {}) };
}

/** Refund APIs name a sub-merchant with an optional `sub_mchid` (body or query); absent = the caller itself. */
export async function refundScope(deps: GatewayDeps, request: FastifyRequest, subMchid: string | null): Promise<string> {
  const caller = callerOf(request).merchant;
  if (subMchid === null) return caller.mchid;
  return (await subMerchantOf(deps, caller, subMchid)).mchid;
}
