// Concurrency budgets of one process (`server.max_concurrent_requests`,
// `max_concurrent_reads`, `max_concurrent_writes`). The gateway admits each request into
// the overall budget and its class's budget; background copies (replication, drains) take
// a write slot of the same process through `backgroundWrite()`, so the configured write
// budget bounds everything that writes to backends from this process, HTTP or not. HTTP
// requests wait at most `admission_wait` for a slot; background work waits as long as it
// takes (it has no client to answer), in the same first-come order.

/** Releases a slot; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  /** set once granted or given up, so it is skipped */
  done: boolean;
}

/** A counting semaphore with a first-come queue; capacity 0 = unlimited. */
export class ConcurrencyBudget {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`a budget needs a whole capacity >= 0, got ${capacity}`);
  }

  get unlimited(): boolean {
    return this.capacity === 0;
  }

  get inUse(): number {
    return this.used;
  }

  /** Slots in use as a ratio of the capacity (0 when unlimited). */
  get load(): number {
    return this.unlimited ? 0 : this.used / this.capacity;
  }

  get waiting(): number {
    return this.waiters.filter((w) => !w.done).length;
  }

  /** A slot now, or null when none is free (or others are already waiting for one). */
  tryAcquire(): Release | null {
    if (this.unlimited) return noop;
    if (this.used >= this.capacity || this.waiting > 0) return null;
    return this.take();
  }

  /**
   * A slot within `waitMs` (null after that); waitMs Infinity waits until one is free. An
   * aborted `signal` gives up at once.
   */
  acquire(waitMs: number, signal?: AbortSignal): Promise<Release | null> {
    const now = this.tryAcquire();
    if (now || waitMs <= 0 || signal?.aborted) return Promise.resolve(now);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const waiter: Waiter = {
        done: false,
        grant: (release) => {
          cleanup();
          resolve(release);
        },
      };
      const giveUp = () => {
        if (waiter.done) return;
        waiter.done = true;
        cleanup();
        resolve(null);
      };
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
      };
      if (Number.isFinite(waitMs)) timer = setTimeout(giveUp, waitMs);
      signal?.addEventListener('abort', giveUp, { once: true });
      this.waiters.push(waiter);
    });
  }

  private take(): Release {
    this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
      this.handOver();
    };
  }

  /** A freed slot goes to the first waiter still waiting. */
  private handOver(): void {
    while (this.waiters.length > 0 && this.used < this.capacity) {
      const waiter = this.waiters.shift()!;
      if (waiter.done) continue;
      waiter.done = true;
      waiter.grant(this.take());
    }
  }
}

const noop: Release = () => {};

export interface AdmissionSettings {
  maxConcurrentRequests: number;
  maxConcurrentReads: number;
  maxConcurrentWrites: number;
}

/** The budgets of one process. */
export class ProcessAdmission {
  readonly requests: ConcurrencyBudget;
  readonly reads: ConcurrencyBudget;
  readonly writes: ConcurrencyBudget;

  constructor(settings: AdmissionSettings) {
    this.requests = new ConcurrencyBudget(settings.maxConcurrentRequests);
    this.reads = new ConcurrencyBudget(settings.maxConcurrentReads);
    this.writes = new ConcurrencyBudget(settings.maxConcurrentWrites);
  }

  /**
   * A slot for one background backend write (a replication or drain copy), held until the
   * returned function is called: a write slot and an overall slot, waited for as long as it
   * takes. Null only when `signal` aborts first.
   */
  async backgroundWrite(signal?: AbortSignal): Promise<Release | null> {
    // The same order as the gateway's (overall, then class), so neither holds what the other waits for.
    const overall = await this.requests.acquire(Infinity, signal);
    if (!overall) return null;
    const write = await this.writes.acquire(Infinity, signal);
    if (!write) {
      overall();
      return null;
    }
    return () => {
      overall();
      write();
    };
  }
}
