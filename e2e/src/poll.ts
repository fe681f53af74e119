// Bounded polling for work the system does in the background (cleanup deletes bytes
// asynchronously). Never a timing assertion: it waits up to a limit and then fails,
// showing the last thing it saw.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /**
   * Give up after this long (default 60 s). A deadline, never a measurement: a passing test
   * returns as soon as the condition holds, so it can be generous enough for a loaded machine.
   */
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Calls `probe` until `done(value)` holds and returns that value; throws after the timeout
 * with `what` and the last value seen.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const interval = options.intervalMs ?? 100;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    }
    await sleep(interval);
  }
}
