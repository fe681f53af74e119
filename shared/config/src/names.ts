// Validators of names and addresses that more than one section uses (a section's own
// validators live in its file). Each returns a problem description (without the key
// path), or the parsed value.

import { isIP } from 'node:net';
import type { Parsed } from './units.js';

/**
 * A name that appears in metrics labels, log fields and ledger rows (backends, notification
 * endpoints), so it stays plain.
 */
export function plainNameProblem(name: string): string | null {
  if (/^[A-Za-z0-9_.-]+$/.test(name)) return null;
  return `${JSON.stringify(name)} may only contain letters, digits, "_", "." and "-"`;
}

export interface ListenAddress {
  listenAddr: string;
  host: string;
  port: number;
}

/**
 * `host:port`, `[ipv6]:port` or `:port` (Go's notation for every interface;
 * here all IPv4 interfaces — write `[::]:port` for IPv6). Port 0 asks the
 * operating system for a free port, which tests rely on.
 */
export function parseListenAddress(text: string): Parsed<ListenAddress> {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(text);
  if (match === null) {
    return { ok: false, problem: `expected "host:port" or ":port", got ${JSON.stringify(text)}` };
  }
  const [, ipv6Host, plainHost, portText] = match;
  const port = Number(portText);
  if (port > 65_535) return { ok: false, problem: `port must be 0-65535, got ${port}` };
  if (ipv6Host !== undefined && isIP(ipv6Host) !== 6) {
    return { ok: false, problem: `${JSON.stringify(ipv6Host)} is not an IPv6 address` };
  }
  const host = ipv6Host ?? (plainHost === '' ? '0.0.0.0' : plainHost!);
  return { ok: true, value: { listenAddr: text, host, port } };
}

/** A backend endpoint: the base URL of an S3 API. */
export function httpUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `expected an http:// or https:// URL, got ${JSON.stringify(text)}`;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    return `expected an http:// or https:// URL, got ${JSON.stringify(text)}`;
  }
  return null;
}

/**
 * One NATS subject token / JetStream stream name: no dots (they separate
 * tokens), no wildcards, no whitespace.
 */
export function natsTokenProblem(text: string, what: string): string | null {
  if (/^[A-Za-z0-9_-]+$/.test(text)) return null;
  return `expected ${what} of letters, digits, "_" and "-", got ${JSON.stringify(text)}`;
}

const NATS_SCHEMES = new Set(['nats:', 'tls:', 'ws:', 'wss:']);

/** `bus.url`: one NATS server URL or a comma-separated list of them (the client's own format). */
export function natsUrlProblem(text: string): string | null {
  const servers = text.split(',').map((s) => s.trim());
  for (const server of servers) {
    let url: URL | null = null;
    try {
      url = new URL(server.includes('://') ? server : `nats://${server}`);
    } catch {
      url = null;
    }
    if (url === null || !NATS_SCHEMES.has(url.protocol) || url.hostname === '') {
      return `expected a NATS server URL like "nats://127.0.0.1:4222", got ${JSON.stringify(server)}`;
    }
  }
  return null;
}
