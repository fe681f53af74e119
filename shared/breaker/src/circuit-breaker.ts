// A circuit breaker: the state machine and the probe schedule, nothing about what is guarded.
//
// closed     calls go through; the user reports each outcome (recordSuccess/recordFailure).
//            `failureThreshold` failures in a row open the breaker; a success resets the count.
// open       the user refuses calls (admit() says 'refuse'). A probe is due `openTimeoutMs`
//            after opening; a failed probe makes the next one due after the next delay
//            (constant, or growing by `backoff.factor` up to `backoff.maxDelayMs`).
// half-open  one probe is out: a call the user let through as the probe (admit() said
//            'probe', run with probeWith) or the breaker's own `probe`, sent by its timer
//            when one is due and no call went first. Its success closes the breaker; a
//            failure opens it again. Outcomes of other calls while open change nothing: only
//            a probe closes a breaker.
//
// Users: the gateway's database breaker (services/gateway/src/degraded/database-breaker.ts)
// lets a request be the probe; the backend breakers (shared/backends/src/breaker.ts) never do
// and only probe in the background.
import { systemTimers, type Timers } from './timers.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** A transition, as listeners see it. Half-open is no transition: the breaker is still open. */
export interface CircuitChange {
  state: 'open' | 'closed';
  /** what opened it (failures in a row and the last one), or what closed it */
  reason: string;
  /** the failure that opened the breaker, when the user gave one */
  cause?: unknown;
  /** epoch ms */
  at: number;
}

export interface ProbeBackoff {
  /** each failed probe multiplies the delay before the next by this */
  factor: number;
  /** the longest delay between probes */
  maxDelayMs: number;
}

/** What the user does with a call: send it, send it as the probe (probeWith), or refuse it. */
export type Admission = 'pass' | 'probe' | 'refuse';

export interface CircuitBreakerOptions {
  /** failures in a row that open the breaker (>= 1) */
  failureThreshold: number;
  /** delay from opening to the first probe (> 0) */
  openTimeoutMs: number;
  /** default: none, every probe `openTimeoutMs` after the last */
  backoff?: ProbeBackoff;
  /** the breaker's own probe, sent by its timer when a probe is due and no call went first */
  probe: () => Promise<unknown>;
  /** whether a probe's error says the guarded thing is still failing; default: every error does */
  stillFailing?: (err: unknown) => boolean;
  /** the reason given when a probe closes the breaker; default 'probe succeeded' */
  recoveredReason?: string;
  /** epoch ms; default Date.now */
  clock?: () => number;
  /** default: Node's timers, unref'd */
  timers?: Timers;
}

export class CircuitBreaker {
  private openedAt_: number | null = null;
  private failures = 0;
  private lastFailure_ = '';
  private probing = false;
  private delayMs = 0;
  private dueAt = 0;
  private timer: unknown = null;
  private stopped = false;
  private readonly listeners = new Set<(change: CircuitChange) => void>();
  private readonly clock: () => number;
  private readonly timers: Timers;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError('failureThreshold must be at least 1');
    }
    if (!(options.openTimeoutMs > 0)) throw new RangeError('openTimeoutMs must be greater than 0');
    if (options.backoff && !(options.backoff.factor >= 1 && options.backoff.maxDelayMs >= options.openTimeoutMs)) {
      throw new RangeError('backoff needs a factor >= 1 and a maxDelayMs >= openTimeoutMs');
    }
    this.clock = options.clock ?? Date.now;
    this.timers = options.timers ?? systemTimers;
  }

  get state(): CircuitState {
    if (this.openedAt_ === null) return 'closed';
    return this.probing ? 'half-open' : 'open';
  }

  /** Epoch ms the breaker opened (failed probes do not move it); null while closed. */
  get openedAt(): number | null {
    return this.openedAt_;
  }

  /** Failures in a row while closed. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** The last failure reported, open or closed ('' before any). */
  get lastFailure(): string {
    return this.lastFailure_;
  }

  /** Epoch ms the next probe is due; null while closed. */
  get nextProbeAt(): number | null {
    return this.openedAt_ === null ? null : this.dueAt;
  }

  /** A call succeeded (the guarded thing answered). Resets the count while closed; nothing else. */
  recordSuccess(): void {
    // A call that started before the breaker opened proves nothing about now.
    if (this.openedAt_ === null) this.failures = 0;
  }

  /** A call failed in a way that counts. Opens the breaker at the threshold. */
  recordFailure(reason: string, cause?: unknown): void {
    this.lastFailure_ = reason;
    if (this.openedAt_ !== null) return;
    this.failures++;
    if (this.failures >= this.options.failureThreshold) this.open(cause);
  }

  /** Whether a call may go out now: 'pass' while closed; while open 'probe' once one is due and none is out, else 'refuse'. */
  admit(): Admission {
    if (this.openedAt_ === null) return 'pass';
    if (this.probing || this.clock() < this.dueAt) return 'refuse';
    return 'probe';
  }

  /**
   * Runs `fn` as the probe (half-open until it settles): its success closes the breaker; an
   * error opens it again for the next delay — unless `stillFailing` says the error is an
   * answer, which closes it too. The result or error is passed on as it is.
   */
  async probeWith<T>(fn: () => Promise<T>): Promise<T> {
    this.probing = true;
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      this.probing = false;
      if (this.options.stillFailing?.(err) ?? true) this.probeFailed();
      else this.close();
      throw err;
    }
    this.probing = false;
    this.close();
    return result;
  }

  /** Calls `listener` on every transition from now on; returns the remover. A listener's error is ignored. */
  onChange(listener: (change: CircuitChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the breaker's own probing (shutdown). Calls still follow the state machine. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private open(cause: unknown): void {
    const now = this.clock();
    this.openedAt_ = now;
    this.delayMs = this.options.openTimeoutMs;
    this.dueAt = now + this.delayMs;
    this.schedule(this.delayMs);
    this.emit({ state: 'open', reason: `${this.failures} consecutive failures, last: ${this.lastFailure_}`, cause, at: now });
  }

  private probeFailed(): void {
    if (this.openedAt_ === null) return;
    const { backoff, openTimeoutMs } = this.options;
    this.delayMs = backoff ? Math.min(this.delayMs * backoff.factor, backoff.maxDelayMs) : openTimeoutMs;
    this.dueAt = this.clock() + this.delayMs;
    this.schedule(this.delayMs);
  }

  private close(): void {
    this.clearTimer();
    this.failures = 0;
    if (this.openedAt_ === null) return;
    this.openedAt_ = null;
    this.emit({ state: 'closed', reason: this.options.recoveredReason ?? 'probe succeeded', at: this.clock() });
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => this.probeIfDue(), delayMs);
  }

  private probeIfDue(): void {
    this.timer = null;
    // A call's probe is out: its outcome closes the breaker or schedules the next probe.
    if (this.openedAt_ === null || this.probing || this.stopped) return;
    const remaining = this.dueAt - this.clock();
    if (remaining > 0) {
      this.timer = this.timers.setTimeout(() => this.probeIfDue(), remaining);
      return;
    }
    // The outcome is recorded by probeWith; nobody waits for the value.
    this.probeWith(this.options.probe).catch(() => {});
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private emit(change: CircuitChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // a listener's failure must not change the breaker
      }
    }
  }
}
