// A FIFO async mutex: the SQLite writer runs one transaction at a time, and a transaction
// spans awaits, so the next one must wait for the previous to COMMIT or ROLLBACK.

export type Release = () => void;

export class AsyncMutex {
  private locked = false;
  private readonly waiters: Array<() => void> = [];

  acquire(): Promise<Release> {
    if (!this.locked) {
      this.locked = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => this.waiters.push(() => resolve(this.releaser())));
  }

  /** The lock if it is free now, else null. */
  tryAcquire(): Release | null {
    if (this.locked) return null;
    this.locked = true;
    return this.releaser();
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand the lock straight to the next waiter so nobody can barge in between.
      const next = this.waiters.shift();
      if (next) next();
      else this.locked = false;
    };
  }
}
