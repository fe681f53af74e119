// Replication work, one object key at a time, at most `concurrency` keys at once. Both the
// `object.created` consumer and the sweep go through it, so a key is never replicated twice
// concurrently by this process (two would claim two targets, or race on one). The queue is
// bounded: the consumer waits for room rather than holding an unbounded backlog in memory —
// what it has not taken stays in the bus, and what is lost on a crash the sweep finds.
import { AsyncResource } from 'node:async_hooks';
import type { Logger } from '@s3o/telemetry';

type Work = (key: string, signal: AbortSignal) => Promise<void>;

export class KeyedWorkQueue {
  /** keys queued or running → their completion */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly waiting: Array<{ key: string; start: () => void; skip: () => void }> = [];
  private running = 0;
  private roomWaiters: Array<() => void> = [];
  private readonly stopping = new AbortController();

  constructor(
    private concurrency: number,
    /** keys queued or running beyond which enqueue() waits */
    private capacity: number,
    private readonly work: Work,
    private readonly logger: Logger,
  ) {}

  /**
   * New limits (a reloaded replication.concurrency): more room starts queued keys at once;
   * less lets the keys running now finish and starts no more until below the new limit.
   */
  resize(concurrency: number, capacity: number): void {
    this.concurrency = concurrency;
    this.capacity = capacity;
    this.pump();
  }

  /** Whether the key is queued or running now. */
  has(key: string): boolean {
    return this.pending.has(key);
  }

  /** Runs `key` (or joins its queued / running turn); resolves when that turn is done. Never rejects. */
  run(key: string): Promise<void> {
    const existing = this.pending.get(key);
    if (existing) return existing;
    const done = new Promise<void>((resolve) => {
      this.waiting.push({
        key,
        // Bound to the caller's async context, so the work runs in the trace of the event
        // that queued it, not of whichever turn happens to start it.
        start: AsyncResource.bind(() => {
          this.running += 1;
          this.work(key, this.stopping.signal)
            .catch((err: unknown) => this.logger.warn({ err, key }, 'replication of the object failed; the sweep retries it'))
            .finally(() => {
              this.running -= 1;
              this.pending.delete(key);
              resolve();
              this.pump();
            });
        }),
        skip: () => {
          this.pending.delete(key);
          resolve();
        },
      });
    });
    this.pending.set(key, done);
    this.pump();
    return done;
  }

  /** Takes `key` once there is room; does not wait for its turn to finish. */
  async enqueue(key: string): Promise<void> {
    while (this.pending.size >= this.capacity && !this.stopping.signal.aborted && !this.pending.has(key)) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (this.stopping.signal.aborted) return;
    void this.run(key);
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0 && !this.stopping.signal.aborted) {
      this.waiting.shift()!.start();
    }
    if (this.pending.size < this.capacity) {
      for (const wake of this.roomWaiters.splice(0)) wake();
    }
  }

  /** Stops starting work, tells running work to stop and waits for it; queued keys are dropped (the sweep finds them). */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the placement service is stopping'));
    for (const wake of this.roomWaiters.splice(0)) wake();
    for (const queued of this.waiting.splice(0)) queued.skip();
    await Promise.all([...this.pending.values()]);
  }
}
