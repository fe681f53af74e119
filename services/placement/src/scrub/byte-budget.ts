// The scrubber's read pace: at most `bytesPerSecond` on average since the pass began. Each
// chunk read is spent; a pass ahead of its budget waits (abortably) until it is not.
import { setTimeout as sleep } from 'node:timers/promises';

export class ByteBudget {
  private spent = 0;
  private readonly started: number;

  constructor(private readonly bytesPerSecond: number, private readonly clock: () => number = Date.now) {
    this.started = clock();
  }

  async spend(bytes: number, signal: AbortSignal): Promise<void> {
    this.spent += bytes;
    const due = this.started + (this.spent / this.bytesPerSecond) * 1000;
    const wait = due - this.clock();
    if (wait > 0) await sleep(wait, undefined, { signal });
  }
}
