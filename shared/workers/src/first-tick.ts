// When a worker's first tick comes. Replicas started together (a deploy, a compose up)
// would otherwise all reach for the same leader lock, and run the same lockless pass, at the
// same instant and then every interval in step; a random delay before the first tick spreads
// them out. The delay is a fraction of the interval, capped, so a job with a long interval
// (reconcile every 6 h) still runs soon after a start: a process restarted more often than its
// interval would otherwise rarely run the job at all.

/** Default share of the interval the first tick may be delayed by. */
export const FIRST_TICK_JITTER = 0.1;
/** Default longest delay before the first tick, whatever the interval. */
export const MAX_FIRST_TICK_DELAY_MS = 10_000;

export interface FirstTickOptions {
  /** share of the interval, in [0, 1]; default FIRST_TICK_JITTER */
  jitter?: number;
  /** cap on the delay; default MAX_FIRST_TICK_DELAY_MS */
  maxDelayMs?: number;
}

/** The delay before the first tick: uniform in [0, min(jitter × interval, maxDelay)), from `random` in [0, 1). */
export function firstTickDelayMs(intervalMs: number, random: () => number, options: FirstTickOptions = {}): number {
  const jitter = options.jitter ?? FIRST_TICK_JITTER;
  const maxDelayMs = options.maxDelayMs ?? MAX_FIRST_TICK_DELAY_MS;
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`first-tick jitter must be in [0, 1], got ${jitter}`);
  const span = Math.min(intervalMs * jitter, maxDelayMs);
  return Math.floor(span * random());
}
