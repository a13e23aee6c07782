/**
 * Who is calling and for whom (wechatpay-v2.md §4 processing order, §5 merchant modes): the merchant named by
 * `mch_id` (whose API key signed the request), and the effective merchant whose orders the request addresses —
 * itself, or in service-provider mode the sub-merchant named by `sub_mch_id`.
 */
import type { Merchant } from '../../core/merchant.ts';
import type { GatewayDeps } from '../../server-deps.ts';
import { V2ResultFail } from './errors.ts';

/** The identity fields answers echo byte-for-byte when sent (§4). */
export const ECHOED_FIELDS = ['appid', 'mch_id', 'sub_appid', 'sub_mch_id', 'device_info'] as const;

export interface V2Caller {
  /** The merchant of `mch_id`: its API key signs the request and the answer. */
  readonly signer: Merchant;
  /** Whose orders the request addresses (the sub-merchant in service-provider mode). */
  readonly merchant: Merchant;
  readonly appid: string;
  readonly subAppid: string | null;
}

/** The merchant a request names, if it exists and holds an API key (sub-merchants sign through their provider). */
export async function signingMerchant(deps: GatewayDeps, mchid: string | undefined): Promise<Merchant | null> {
  if (!mchid || mchid.length > 32) return null;
  const merchant = await deps.merchants.merchantForAuth(mchid);
  return merchant?.secrets ? merchant : null;
}

/** `nonce_str` and `appid` must be present and in shape; otherwise the request is refused at return level (§3). */
export function commonParamsIssue(params: Readonly<Record<string, string>>): string | null {
  const nonce = params.nonce_str ?? '';
  if (nonce.length < 1 || nonce.length > 32) return '参数格式校验错误';
  const appid = params.appid ?? '';
  if (appid.length < 1 || appid.length > 32) return '参数格式校验错误';
  return null;
}

/**
 * The service-provider seam: resolves (`mch_id`, `sub_mch_id`) to the merchant whose orders are addressed and
 * checks the binding. A provider acts only for its own sub-merchants; anything else is `NOAUTH`.
 */
export async function effectiveMerchant(deps: GatewayDeps, signer: Merchant, subMchid: string | undefined): Promise<Merchant> {
  if (subMchid === undefined) {
    // §5: in service-provider ("institutional") mode sub_mch_id is required.
    if (signer.kind === 'service_provider') throw new V2ResultFail('PARAM_ERROR', '服务商模式下缺少参数sub_mch_id');
    return signer;
  }
  const sub = subMchid.length <= 32 ? await deps.store.getMerchant(subMchid) : null;
  if (sub?.kind !== 'sub_merchant' || sub.parentMchid !== signer.mchid) {
    throw new V2ResultFail('NOAUTH', '子商户号与服务商不存在受理关系');
  }
  return sub;
}

/** Step "appid/sub_* binding" of §4: after authentication, so the refusals are signed result-level answers. */
export async function resolveCaller(deps: GatewayDeps, signer: Merchant, params: Readonly<Record<string, string>>): Promise<V2Caller> {
  const appid = params.appid;
  if (appid !== signer.appid) throw new V2ResultFail('APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
  const merchant = await effectiveMerchant(deps, signer, params.sub_mch_id);
  const subAppid = params.sub_appid ?? null;
  if (subAppid !== null) {
    if (merchant === signer) throw new V2ResultFail('PARAM_ERROR', '非服务商模式不能传sub_appid');
    if (subAppid !== merchant.appid) throw new V2ResultFail('APPID_MCHID_NOT_MATCH', 'sub_appid和sub_mch_id不匹配');
  }
  return { signer, merchant, appid, subAppid };
}
