// Small timing helpers shared by the relay and the consumer loops.

/**
 * A sleep that `wake()` cuts short: a loop's idle wait, ended early by new work or by stop.
 * wake() ends every sleep in progress; one that comes while nobody sleeps makes the next
 * sleep return at once, so work that arrives between a check and the sleep is not missed.
 */
export class Alarm {
  private readonly sleepers = new Set<() => void>();
  private rang = false;

  sleep(ms: number): Promise<void> {
    if (this.rang) {
      this.rang = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  wake(): void {
    if (this.sleepers.size === 0) {
      this.rang = true;
      return;
    }
    for (const done of [...this.sleepers]) done();
  }
}

/** `base`, doubling per attempt (1-based), capped at `max`. */
export function backoffMs(attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
