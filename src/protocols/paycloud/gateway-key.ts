/**
 * The environment's gateway key pair as KeyObjects: it signs every response and notification (paycloud-openapi.md
 * §3). Loaded once per store (the plugin and the notification encoder share it); a failed load is retried.
 */
import type { KeyObject } from 'node:crypto';
import type { MerchantStore } from '../../core/ports.ts';
import { payCloudGatewayKeyPair } from '../../store/paycloud-apps.ts';
import { appPrivateKeyFromPkcs8Base64, publicKeyFromSpkiBase64 } from './sign.ts';

export interface GatewayKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

type KeyStore = Pick<MerchantStore, 'gatewaySecret'>;

const loaded = new WeakMap<KeyStore, Promise<GatewayKeys>>();

export function gatewayKeys(store: KeyStore): Promise<GatewayKeys> {
  let keys = loaded.get(store);
  if (!keys) {
    keys = payCloudGatewayKeyPair(store).then((pair) => ({
      privateKey: appPrivateKeyFromPkcs8Base64(pair.privateKeyPkcs8Base64),
      publicKey: publicKeyFromSpkiBase64(pair.publicKeySpkiBase64),
    }));
    keys.catch(() => loaded.delete(store));
    loaded.set(store, keys);
  }
  return keys;
}
