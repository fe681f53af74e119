// The timers a breaker schedules its probes with. Injected so a test can see each delay the
// breaker asked for and fire the probe when it chooses, instead of sleeping through them.

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers; unref'd, because an open breaker must not keep a finished process alive. */
export const systemTimers: Timers = {
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
