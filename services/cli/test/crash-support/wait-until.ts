// Bounded polling: tests wait for a state, never for a fixed time.
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitUntil<T>(
  what: string,
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 30_000, intervalMs = 250 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v))}`);
    await sleep(intervalMs);
  }
}
