// Circuit breakers for backends (docs/architecture.md §5 "Backend health"): one per backend per process,
// fed by every call the process makes to that backend (BackendClient.observe). After
// `failureThreshold` consecutive failures the breaker opens: writes refuse the backend and
// reads try it last (the breaker is a gate on BackendAvailability). It is never closed by a
// client request: a background HeadBucket probe, first after `openTimeoutMs` and then with a
// doubling delay, closes it on success. The state machine is @s3o/breaker's; this file is the
// backends' policy: which outcomes count, what the probe asks, how probes back off.
import { CircuitBreaker, type Timers } from '@s3o/breaker';
import type { BackendUse, BackendGate, BackendRefusal } from './availability.js';
import type { BackendClient } from './client.js';
import { BackendError } from './errors.js';
import type { BackendCallOutcome } from './observe.js';

export interface BreakerSettings {
  /** consecutive failed calls that open the breaker */
  failureThreshold: number;
  /** delay before the first recovery probe of an open breaker */
  openTimeoutMs: number;
}

export type BreakerState = 'closed' | 'open';

/** A breaker that changed state, as listeners see it. */
export interface BreakerChange {
  backend: string;
  state: BreakerState;
  /** what opened it (the last failure), or what closed it */
  reason: string;
  /** epoch ms of the change */
  at: number;
}

/** Probes of a long-dead backend slow down to this many open timeouts apart, but not past 5 minutes. */
const MAX_PROBE_BACKOFF = 8;
const MAX_PROBE_DELAY_MS = 5 * 60_000;

/** Statuses that say the backend cannot serve us now (not that the request was wrong). */
const FAILING_STATUSES = new Set([401, 403, 408, 429]);

/**
 * Whether a finished call counts against the backend: 5xx, 401/403/408/429, timeouts and
 * network errors do. Not counted: answers about the request (404, 412, 416, 304, other 4xx),
 * calls ended by our own side (an abort from our signal, a failing request body — their
 * errors are not BackendErrors) and bodies cut short after a good answer.
 * Returns the failure's description, or null.
 */
export function failureOf(outcome: BackendCallOutcome): string | null {
  const { status, error } = outcome;
  if (status === 0) return error instanceof BackendError ? `${error.code}: ${error.message}` : null;
  if (status >= 500 || FAILING_STATUSES.has(status)) return error instanceof BackendError ? `${status} ${error.code}` : `HTTP ${status}`;
  // A 200 carrying an <Error> body (S3 does this for some InternalErrors) is a failure too.
  if (error instanceof BackendError && status < 300 && error.retriable) return `${status} ${error.code}`;
  return null;
}

/** Injected in tests: the clock the breakers stamp changes with, the timers their probes wait on. */
export interface BreakerRuntime {
  /** epoch ms; default Date.now */
  clock?: () => number;
  /** default Node's timers, unref'd */
  timers?: Timers;
}

export class BackendBreakers implements BackendGate {
  readonly name = 'circuit-breaker';
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly listeners = new Set<(change: BreakerChange) => void>();
  private readonly unobserve: Array<() => void> = [];

  constructor(
    clients: ReadonlyMap<string, BackendClient>,
    settings: BreakerSettings,
    runtime: BreakerRuntime = {},
  ) {
    const { openTimeoutMs } = settings;
    const slowest = Math.max(openTimeoutMs, Math.min(openTimeoutMs * MAX_PROBE_BACKOFF, MAX_PROBE_DELAY_MS));
    for (const [name, client] of clients) {
      const breaker = new CircuitBreaker({
        failureThreshold: settings.failureThreshold,
        openTimeoutMs,
        backoff: { factor: 2, maxDelayMs: slowest },
        // Its failure reaches the breaker through the observer too (as the last failure).
        probe: () => client.headBucket(),
        recoveredReason: 'HeadBucket probe succeeded',
        clock: runtime.clock,
        timers: runtime.timers,
      });
      breaker.onChange((change) => this.emit({ backend: name, state: change.state, reason: change.reason, at: change.at }));
      this.breakers.set(name, breaker);
      this.unobserve.push(client.observe({ start: () => (outcome) => this.record(breaker, outcome) }));
    }
  }

  /** Writes are refused while open; reads are ordered last (a soft refusal). */
  check(backend: string, use: BackendUse): BackendRefusal | null {
    const breaker = this.breakers.get(backend);
    if (!breaker || breaker.openedAt === null) return null;
    return {
      gate: this.name,
      reason: `circuit open since ${new Date(breaker.openedAt).toISOString()} (${breaker.lastFailure})`,
      s3Code: 'ServiceUnavailable',
      soft: use === 'read',
    };
  }

  /** 'open' while open or probing (half-open): only a successful probe closes it. */
  state(backend: string): BreakerState {
    return this.breakers.get(backend)?.openedAt == null ? 'closed' : 'open';
  }

  /** Epoch ms when the backend's breaker opened; null while it is closed (or unknown). */
  openSince(backend: string): number | null {
    return this.breakers.get(backend)?.openedAt ?? null;
  }

  /** Epoch ms the backend's next recovery probe is due; null while it is closed (or unknown). */
  nextProbeAt(backend: string): number | null {
    return this.breakers.get(backend)?.nextProbeAt ?? null;
  }

  /** Every backend's state, in the clients' order. */
  states(): Array<{ backend: string; state: BreakerState; openSince: number | null }> {
    return [...this.breakers].map(([backend, b]) => ({ backend, state: b.openedAt === null ? 'closed' : 'open', openSince: b.openedAt }));
  }

  /** Calls `listener` on every change from now on; returns the remover. */
  onChange(listener: (change: BreakerChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops observing and probing (process shutdown). */
  stop(): void {
    for (const remove of this.unobserve.splice(0)) remove();
    for (const breaker of this.breakers.values()) breaker.stop();
  }

  private record(breaker: CircuitBreaker, outcome: BackendCallOutcome): void {
    const failure = failureOf(outcome);
    if (failure !== null) {
      breaker.recordFailure(failure);
      return;
    }
    // An answer resets the count. Neutral outcomes (our abort, a body cut short) carry no
    // news; an open breaker is closed by its probe only (recordSuccess leaves it open).
    if (outcome.status > 0 && !outcome.cutShort) breaker.recordSuccess();
  }

  private emit(change: BreakerChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // a listener's failure must not change the breaker
      }
    }
  }
}
