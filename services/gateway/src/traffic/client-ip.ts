// Which client a request comes from, for per-client rate limiting. Behind a trusted proxy
// the peer address is the proxy's, so the client is taken from X-Forwarded-For: read right
// to left (each proxy appends the address it received from), skipping trusted proxies —
// the first untrusted address is the client. Anything left of it was written by the client
// itself and cannot be believed.
import { isIP, type BlockList } from 'node:net';

/** `::ffff:1.2.3.4` → `1.2.3.4`, so IPv4 clients have one name whatever socket they came on. */
export function normaliseIp(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1]! : address).toLowerCase();
}

function isTrusted(trusted: BlockList, address: string): boolean {
  const version = isIP(address);
  if (version === 0) return false;
  return trusted.check(address, version === 4 ? 'ipv4' : 'ipv6');
}

export function clientIp(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: BlockList | null): string {
  const direct = normaliseIp(peer ?? 'unknown');
  if (!trusted || forwardedFor === undefined || !isTrusted(trusted, direct)) return direct;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => normaliseIp(h.trim()))
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // A malformed hop cannot be a proxy of ours: whoever wrote it is the client as far as we can tell.
    if (!isTrusted(trusted, hop)) return hop;
  }
  // Every hop is a trusted proxy: the leftmost is the closest thing to a client.
  return hops[0] ?? direct;
}
