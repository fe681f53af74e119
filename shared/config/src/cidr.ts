// IP addresses and CIDR blocks (`rate_limit.trusted_proxies`: the proxies whose
// X-Forwarded-For is believed): checked when the file is read, matched by the gateway.

import { BlockList, isIP } from 'node:net';

/** An IPv4/IPv6 address or CIDR block (`10.0.0.0/8`, `::1`, `fd00::/8`). */
export function cidrProblem(text: string): string | null {
  return parseCidr(text) === null ? `expected an IP address or CIDR block (e.g. 10.0.0.0/8), got ${JSON.stringify(text)}` : null;
}

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export function parseCidr(text: string): Cidr | null {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  if (rest.length > 0) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family: version === 4 ? 'ipv4' : 'ipv6' };
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The blocks as a BlockList, for matching addresses (IPv4-mapped IPv6 included). */
export function cidrBlockList(blocks: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of blocks) {
    const cidr = parseCidr(text);
    if (!cidr) throw new TypeError(`not an IP address or CIDR block: ${JSON.stringify(text)}`);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return list;
}
