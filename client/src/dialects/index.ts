import type { Dialect } from '../types.ts';
import type { DialectClient, DialectOptions } from './answers.ts';
import { paycloud } from './paycloud.ts';
import { wechatpayV2 } from './wechatpay-v2.ts';
import { wechatpayV3 } from './wechatpay-v3.ts';

export function dialectClient(dialect: Dialect, o: DialectOptions): DialectClient {
  switch (dialect) {
    case 'wechatpay-v3':
      return wechatpayV3(o, 'mainland');
    case 'wechatpay-global':
      return wechatpayV3(o, 'global');
    case 'wechatpay-v2':
      return wechatpayV2(o);
    case 'paycloud':
      return paycloud(o);
  }
}
