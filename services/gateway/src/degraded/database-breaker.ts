// The gateway's circuit breaker around the database (`circuit_breaker.*`): the shared state
// machine (@s3o/breaker) with the database's policy.
//
// closed     every call goes to the database; `failureThreshold` consecutive "unreachable"
//            failures (see unreachable.ts) open the breaker. Any other outcome — a result or
//            an error the database answered with — resets the count.
// open       calls fail at once with DatabaseUnavailableError, so requests do not queue
//            behind connection timeouts; the gateway answers from the backends or 503.
// half-open  `openTimeout` after opening, exactly one call goes through as a probe: a
//            database answer (even an error) closes the breaker, another "unreachable" opens
//            it again for a further `openTimeout`.
//
// The probe is normally the next request's ledger call. So that recovery does not wait
// for traffic (and /health stops saying "degraded" on an idle gateway), the breaker also
// sends its own probe when one is due and no request did.
import { CircuitBreaker, type CircuitState, type Timers } from '@s3o/breaker';
import { isDatabaseUnreachable } from './unreachable.js';

export type BreakerState = CircuitState;

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
  /** the probe's timers; default Node's */
  timers?: Timers;
}

export class DatabaseBreaker {
  private readonly circuit: CircuitBreaker;

  constructor(options: DatabaseBreakerOptions) {
    this.circuit = new CircuitBreaker({
      failureThreshold: options.failureThreshold,
      openTimeoutMs: options.openTimeoutMs,
      probe: options.probe,
      // Any other error is an answer: the database is reachable again.
      stillFailing: isDatabaseUnreachable,
      recoveredReason: 'the database answered',
      clock: options.clock,
      timers: options.timers,
    });
    const { onStateChange } = options;
    if (onStateChange) this.circuit.onChange((change) => onStateChange(change.state, change.cause));
  }

  get state(): BreakerState {
    return this.circuit.state;
  }

  get isClosed(): boolean {
    return this.circuit.state === 'closed';
  }

  /** Runs one database call under the breaker. Unreachable failures come back as DatabaseUnavailableError. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    switch (this.circuit.admit()) {
      case 'refuse':
        throw new DatabaseUnavailableError('the database is unreachable (circuit breaker open)');
      case 'probe':
        try {
          return await this.circuit.probeWith(fn);
        } catch (err) {
          if (isDatabaseUnreachable(err)) throw new DatabaseUnavailableError('the database is still unreachable', { cause: err });
          throw err;
        }
      case 'pass':
        break;
    }
    try {
      const result = await fn();
      this.circuit.recordSuccess();
      return result;
    } catch (err) {
      if (!isDatabaseUnreachable(err)) {
        this.circuit.recordSuccess();
        throw err;
      }
      this.circuit.recordFailure(err instanceof Error ? err.message : String(err), err);
      throw new DatabaseUnavailableError('the database is unreachable', { cause: err });
    }
  }

  /** Stops the breaker's own probing (the gateway is closing). */
  stop(): void {
    this.circuit.stop();
  }
}
