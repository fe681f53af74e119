// The gateway's circuit breaker around the database (`circuit_breaker.*`).
//
// closed     every call goes to the database; `failureThreshold` consecutive "unreachable"
//            failures (see unreachable.ts) open the breaker.
// open       calls fail at once with DatabaseUnavailableError, so requests do not queue
//            behind connection timeouts; the gateway answers from the backends or 503.
// half-open  `openTimeout` after opening, exactly one call goes through as a probe: a
//            database answer closes the breaker, another "unreachable" opens it again
//            for a further `openTimeout`.
//
// The probe is normally the next request's ledger call. So that recovery does not wait
// for traffic (and /health stops saying "degraded" on an idle gateway), the breaker also
// sends its own probe when one is due and no request did.
import { isDatabaseUnreachable } from './unreachable.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** The database cannot be reached: the breaker is open, or the call failed that way. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

export interface DatabaseBreakerOptions {
  failureThreshold: number;
  openTimeoutMs: number;
  /** A cheap database call, sent as the probe when one is due and no request sent it. */
  probe: () => Promise<unknown>;
  /** Told about every transition; `cause` is the failure that opened the breaker. */
  onStateChange?: (to: 'open' | 'closed', cause?: unknown) => void;
  /** epoch milliseconds; default Date.now */
  clock?: () => number;
}

export class DatabaseBreaker {
  private opened = false;
  private openedAt = 0;
  private consecutiveFailures = 0;
  private probing = false;
  private probeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly clock: () => number;

  constructor(private readonly options: DatabaseBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError('failureThreshold must be at least 1');
    }
    if (!(options.openTimeoutMs > 0)) throw new RangeError('openTimeoutMs must be greater than 0');
    this.clock = options.clock ?? Date.now;
  }

  get state(): BreakerState {
    if (!this.opened) return 'closed';
    return this.probing ? 'half-open' : 'open';
  }

  get isClosed(): boolean {
    return !this.opened;
  }

  /** Runs one database call under the breaker. Unreachable failures come back as DatabaseUnavailableError. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.opened) {
      if (this.probing || this.clock() - this.openedAt < this.options.openTimeoutMs) {
        throw new DatabaseUnavailableError('the database is unreachable (circuit breaker open)');
      }
      return this.probeWith(fn);
    }
    try {
      const result = await fn();
      // A call that started before the breaker opened proves nothing about now.
      if (!this.opened) this.consecutiveFailures = 0;
      return result;
    } catch (err) {
      if (!isDatabaseUnreachable(err)) {
        if (!this.opened) this.consecutiveFailures = 0;
        throw err;
      }
      if (!this.opened && ++this.consecutiveFailures >= this.options.failureThreshold) this.open(err);
      throw new DatabaseUnavailableError('the database is unreachable', { cause: err });
    }
  }

  /** Stops the breaker's own probing (the gateway is closing). */
  stop(): void {
    this.stopped = true;
    this.clearProbeTimer();
  }

  private async probeWith<T>(fn: () => Promise<T>): Promise<T> {
    this.probing = true;
    try {
      const result = await fn();
      this.close();
      return result;
    } catch (err) {
      if (isDatabaseUnreachable(err)) {
        this.open(err);
        throw new DatabaseUnavailableError('the database is still unreachable', { cause: err });
      }
      // Any other answer came from the database, so it is reachable again.
      this.close();
      throw err;
    } finally {
      this.probing = false;
    }
  }

  private open(cause: unknown): void {
    const wasOpen = this.opened;
    this.opened = true;
    this.openedAt = this.clock();
    this.scheduleProbe(this.options.openTimeoutMs);
    if (!wasOpen) this.options.onStateChange?.('open', cause);
  }

  private close(): void {
    this.clearProbeTimer();
    this.consecutiveFailures = 0;
    if (!this.opened) return;
    this.opened = false;
    this.options.onStateChange?.('closed');
  }

  private scheduleProbe(delayMs: number): void {
    this.clearProbeTimer();
    if (this.stopped) return;
    this.probeTimer = setTimeout(() => this.probeIfDue(), delayMs);
    // An open breaker must not keep a process alive that is otherwise done.
    this.probeTimer.unref();
  }

  private probeIfDue(): void {
    this.probeTimer = null;
    // A request's probe is in flight: its outcome closes the breaker or schedules the next probe.
    if (!this.opened || this.probing || this.stopped) return;
    const remaining = this.options.openTimeoutMs - (this.clock() - this.openedAt);
    if (remaining > 0) {
      this.scheduleProbe(remaining);
      return;
    }
    // The outcome is recorded by probeWith; nobody waits for the value.
    this.probeWith(this.options.probe).catch(() => {});
  }

  private clearProbeTimer(): void {
    if (this.probeTimer !== null) clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }
}
