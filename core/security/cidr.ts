import { isIPv4, isIPv6 } from 'node:net';

/** One parsed network: family, its base address as a number, and the prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
  /** The text it was parsed from, for messages. */
  readonly text: string;
}

/** The loopback networks, always trusted by the anonymous compatibility access when it is on. */
export const LOOPBACK_CIDRS: readonly string[] = ['127.0.0.0/8', '::1/128'];

function v4ToBig(address: string): bigint {
  return address.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
}

function v6ToBig(address: string): bigint {
  let text = address;
  // A zone (fe80::1%eth0) names an interface, not part of the address.
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = v4ToBig(tail[1] as string);
    text = text.slice(0, tail.index) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/**
 * An address as family and number. IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, what a
 * dual-stack socket reports for an IPv4 client) count as the IPv4 address they carry, so one
 * IPv4 network matches the client however the socket was bound. Undefined for anything else.
 */
export function parseAddress(address: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(address)) return { family: 4, value: v4ToBig(address) };
  if (!isIPv6(address)) return undefined;
  const value = v6ToBig(address);
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

function parseMapped(value: bigint, prefix: number, text: string): Cidr {
  const hostBits = BigInt(32 - prefix);
  return { family: 4, base: (value >> hostBits) << hostBits, prefix, text };
}

/**
 * Parses `address/prefix` (IPv4 or IPv6; a bare address is a single host). Host bits are
 * cleared, so `10.1.2.3/8` is `10.0.0.0/8`. Undefined when it is not a network.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const parsed = isIPv4(addressText)
    ? { family: 4 as const, value: v4ToBig(addressText) }
    : isIPv6(addressText)
      ? { family: 6 as const, value: v6ToBig(addressText) }
      : undefined;
  if (!parsed) return undefined;
  const bits = parsed.family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  // An IPv4-mapped network is the IPv4 network it maps (clients are compared as IPv4).
  if (parsed.family === 6 && prefix >= 96 && parsed.value >> 32n === 0xffffn)
    return parseMapped(parsed.value & 0xffffffffn, prefix - 96, text);
  const hostBits = BigInt(bits - prefix);
  return { family: parsed.family, base: (parsed.value >> hostBits) << hostBits, prefix, text };
}

/** Whether `address` (as a socket reports it) lies in one of `networks`. */
export function addressInNetworks(address: string | undefined, networks: readonly Cidr[]): boolean {
  if (address === undefined) return false;
  const a = parseAddress(address);
  if (!a) return false;
  return networks.some((n) => {
    if (n.family !== a.family) return false;
    const hostBits = BigInt((n.family === 4 ? 32 : 128) - n.prefix);
    return (a.value >> hostBits) << hostBits === n.base;
  });
}
