/**
 * Which addresses a notification may be delivered to. A merchant chooses its notify_url, so without a policy the
 * gateway is a request forwarder into its own network: cloud metadata services, link-local devices, the gateway's
 * own listeners (admin API). The decision is made on the RESOLVED address, at connect time (delivery.ts passes
 * `lookup` below to the socket), so a hostname that resolves to a denied address is refused too.
 *
 * Order: an explicit deny (`--notify-deny`) wins over everything; an explicit allow (`--notify-allow`) wins over the
 * default denies; otherwise the default denies apply. Loopback and private networks are allowed by default: sandbox
 * users run their receivers on their own machine or network. CIDR matching is `node:net`'s BlockList.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export interface NotifyPolicyOptions {
  /** CIDRs (or single addresses) deliveries may reach despite the default denies. */
  readonly allow?: readonly string[];
  /** CIDRs (or single addresses) deliveries may never reach. */
  readonly deny?: readonly string[];
}

/** Refused by default: link-local (incl. the 169.254.169.254 metadata service), cloud metadata, unspecified, multicast, reserved. */
export const DEFAULT_DENIED_CIDRS: readonly string[] = [
  '0.0.0.0/8',
  '169.254.0.0/16',
  '100.100.100.200/32',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  'fe80::/10',
  'fd00:ec2::254/128',
  'ff00::/8',
];

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

export class NotifyAddressRefused extends Error {
  override readonly name = 'NotifyAddressRefused';
}

/** A BlockList of `a.b.c.d/n`, `x::y/n` or bare addresses; throws on anything else (options are checked at start). */
export function cidrBlockList(cidrs: readonly string[], what: string): BlockList {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (
      !family ||
      extra !== undefined ||
      !Number.isInteger(bits) ||
      bits < 0 ||
      bits > (family === 6 ? 128 : 32) ||
      (prefix !== undefined && !/^\d+$/.test(prefix))
    ) {
      throw new Error(`invalid CIDR in ${what}: ${entry}`);
    }
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

const familyOf = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

export interface AddressPolicy {
  /** Why a connection to address:port is refused, or null when it may go ahead. */
  refusal(address: string, port: number): string | null;
  /** A `lookup` for node:net/http that resolves, then keeps only addresses the policy allows for `port`. */
  lookupFor(port: number): NonNullable<import('node:net').TcpSocketConnectOpts['lookup']>;
}

/**
 * `ownPorts()`: the gateway's listening ports (HTTP, HTTPS), refused on any local address by default, so that a
 * notify_url cannot make the gateway call its own admin or payment API.
 */
export function addressPolicy(options: NotifyPolicyOptions = {}, ownPorts: () => readonly number[] = () => []): AddressPolicy {
  const deny = cidrBlockList(options.deny ?? [], '--notify-deny');
  const allow = cidrBlockList(options.allow ?? [], '--notify-allow');
  const defaults = cidrBlockList(DEFAULT_DENIED_CIDRS, 'the default denies');
  const loopback = cidrBlockList(LOOPBACK, 'loopback');
  const isLocal = (address: string) => {
    if (loopback.check(address, familyOf(address))) return true;
    const normalized = address.replace(/^::ffff:/i, '');
    return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === normalized || i.address === address));
  };
  const refusal = (address: string, port: number): string | null => {
    if (!isIP(address)) return `not an IP address: ${address}`;
    const family = familyOf(address);
    if (deny.check(address, family)) return `${address} is denied by --notify-deny`;
    if (allow.check(address, family)) return null;
    if (ownPorts().includes(port) && isLocal(address)) return `${address}:${port} is the gateway's own listener`;
    if (defaults.check(address, family)) return `${address} is a link-local, metadata or reserved address (allow it with --notify-allow)`;
    return null;
  };
  return {
    refusal,
    lookupFor(port) {
      return ((hostname: string, opts: LookupOptions, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
        dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
          if (err) return callback(err, '', 0);
          const allowed = addresses.filter((a) => refusal(a.address, port) === null);
          if (allowed.length === 0) {
            const why = addresses.map((a) => refusal(a.address, port)).find((r) => r !== null) ?? `${hostname} did not resolve`;
            return callback(new NotifyAddressRefused(`notify_url refused: ${why}`), '', 0);
          }
          if (opts.all) return callback(null, allowed);
          return callback(null, allowed[0].address, allowed[0].family);
        });
      }) as never;
    },
  };
}
