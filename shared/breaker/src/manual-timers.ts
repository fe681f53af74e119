// Timers a test drives by hand: every setTimeout is recorded with the delay it asked for and
// fires only when the test says so, so a breaker's probe schedule is asserted as the delays it
// chose rather than measured from arrival times.
import type { Timers } from './timers.js';

export interface ScheduledTimer {
  readonly delayMs: number;
  readonly fn: () => void;
  cleared: boolean;
  fired: boolean;
}

export class ManualTimers implements Timers {
  /** every timer ever set, in order */
  readonly scheduled: ScheduledTimer[] = [];

  setTimeout(fn: () => void, ms: number): unknown {
    const timer: ScheduledTimer = { delayMs: ms, fn, cleared: false, fired: false };
    this.scheduled.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    (handle as ScheduledTimer).cleared = true;
  }

  /** The timers set and neither fired nor cleared. */
  get pending(): ScheduledTimer[] {
    return this.scheduled.filter((t) => !t.cleared && !t.fired);
  }

  /** Fires the one pending timer (a breaker has at most one); throws when there is none or several. */
  fire(): ScheduledTimer {
    const pending = this.pending;
    if (pending.length !== 1) throw new Error(`expected one pending timer, found ${pending.length}`);
    const timer = pending[0]!;
    timer.fired = true;
    timer.fn();
    return timer;
  }
}
