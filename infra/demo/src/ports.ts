// Ports for servers a test stops and starts again on the same address (a private Postgres,
// nats-server or s3rver whose clients keep the URL), and for "a port nobody listens on".
//
// Asking the kernel for port 0 and closing the socket again is a race: until the server
// binds, any other process's bind(0) may be handed the same port — and a port a stopped
// server gave up is, for as long as it is down, just another free ephemeral port. Ports
// outside the kernel's ephemeral range (net.ipv4.ip_local_port_range) are never handed
// out by bind(0) or connect(); only an explicit bind takes one. So a port picked at random
// there and found free stays ours in practice, and a restart that still finds it taken
// (an earlier socket of ours lingering) waits and tries again.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The default range on Linux; read from /proc where it exists. */
const DEFAULT_EPHEMERAL = { low: 32768, high: 60999 } as const;
/** Below this are the well-known and commonly configured service ports (Postgres 5432, NATS 4222/8222, …). */
const LOWEST = 10_000;
const HIGHEST = 65_535;

async function ephemeralRange(): Promise<{ low: number; high: number }> {
  try {
    const [low, high] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! <= high!) return { low: low!, high: high! };
  } catch {
    // Not Linux: the usual range.
  }
  return DEFAULT_EPHEMERAL;
}

/** Whether nothing is bound to 127.0.0.1:`port` right now (found by binding it briefly). */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(true));
  });
  if (bound) await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound;
}

/**
 * A loopback port outside the kernel's ephemeral range that nothing is bound to right now:
 * for a server that must come back on the same port after a stop, or for a URL that must
 * find nobody listening.
 */
export async function portOutsideEphemeralRange(): Promise<number> {
  const { low, high } = await ephemeralRange();
  const spans = [
    { from: LOWEST, to: Math.min(low - 1, HIGHEST) },
    { from: Math.max(high + 1, LOWEST), to: HIGHEST },
  ].filter((s) => s.to >= s.from);
  const total = spans.reduce((n, s) => n + (s.to - s.from + 1), 0);
  if (total === 0) throw new Error(`no port outside the ephemeral range ${low}-${high}`);
  for (let attempt = 0; attempt < 200; attempt++) {
    let pick = Math.floor(Math.random() * total);
    const span = spans.find((s) => (pick < s.to - s.from + 1 ? true : ((pick -= s.to - s.from + 1), false)))!;
    const port = span.from + pick;
    if (await isFree(port)) return port;
  }
  throw new Error('could not find a free port outside the ephemeral range');
}

export interface RetryOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 200 ms). */
  intervalMs?: number;
}

/**
 * Runs `start` until it does not fail with "address in use" (as `inUse` tells), waiting
 * `intervalMs` between attempts; rethrows any other error, and the last one after the
 * timeout. `start` picks the port: a fresh one for a first start, the same one for a restart.
 */
export async function retryWhileAddressInUse<T>(start: () => Promise<T>, inUse: (err: unknown) => boolean, options: RetryOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      return await start();
    } catch (err) {
      if (!inUse(err) || Date.now() >= deadline) throw err;
    }
    await sleep(options.intervalMs ?? 200);
  }
}

/** Node's and most servers' wording of EADDRINUSE, in an error or in a log text. */
export function mentionsAddressInUse(err: unknown): boolean {
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err);
  return /EADDRINUSE|address already in use/i.test(text);
}
