// Circuit breakers for backends (DESIGN §5 "Backend health"): one per backend per process,
// fed by every call the process makes to that backend (BackendClient.observe). After
// `failureThreshold` consecutive failures the breaker opens: writes refuse the backend and
// reads try it last (the breaker is a gate on BackendAvailability). It is never closed by a
// client request: a background HeadBucket probe, first after `openTimeoutMs` and then with a
// doubling delay, closes it on success.
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

class Breaker {
  failures = 0;
  openedAt: number | null = null;
  lastFailure = '';
  probeDelayMs = 0;
  probeTimer: NodeJS.Timeout | null = null;
  probing = false;
}

export class BackendBreakers implements BackendGate {
  readonly name = 'circuit-breaker';
  private readonly breakers = new Map<string, Breaker>();
  private readonly listeners = new Set<(change: BreakerChange) => void>();
  private readonly unobserve: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly clients: ReadonlyMap<string, BackendClient>,
    private readonly settings: BreakerSettings,
    private readonly clock: () => number = Date.now,
  ) {
    for (const [name, client] of clients) {
      this.breakers.set(name, new Breaker());
      this.unobserve.push(client.observe({ start: () => (outcome) => this.record(name, outcome) }));
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

  state(backend: string): BreakerState {
    return this.breakers.get(backend)?.openedAt == null ? 'closed' : 'open';
  }

  /** Epoch ms when the backend's breaker opened; null while it is closed (or unknown). */
  openSince(backend: string): number | null {
    return this.breakers.get(backend)?.openedAt ?? null;
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
    this.stopped = true;
    for (const remove of this.unobserve.splice(0)) remove();
    for (const breaker of this.breakers.values()) {
      if (breaker.probeTimer) clearTimeout(breaker.probeTimer);
      breaker.probeTimer = null;
    }
  }

  private record(backend: string, outcome: BackendCallOutcome): void {
    const breaker = this.breakers.get(backend)!;
    const failure = failureOf(outcome);
    if (failure === null) {
      // An answer from a closed backend resets the count. Neutral outcomes (our abort, a
      // body cut short) carry no news; an open breaker is closed by its probe only.
      if (outcome.status > 0 && !outcome.cutShort && breaker.openedAt === null) breaker.failures = 0;
      return;
    }
    breaker.lastFailure = failure;
    if (breaker.openedAt !== null) return;
    breaker.failures++;
    if (breaker.failures >= this.settings.failureThreshold) this.open(backend, breaker);
  }

  private open(backend: string, breaker: Breaker): void {
    breaker.openedAt = this.clock();
    breaker.probeDelayMs = this.settings.openTimeoutMs;
    this.emit({ backend, state: 'open', reason: `${breaker.failures} consecutive failures, last: ${breaker.lastFailure}`, at: breaker.openedAt });
    this.scheduleProbe(backend, breaker);
  }

  private scheduleProbe(backend: string, breaker: Breaker): void {
    if (this.stopped) return;
    breaker.probeTimer = setTimeout(() => void this.probe(backend, breaker), breaker.probeDelayMs);
    breaker.probeTimer.unref();
  }

  private async probe(backend: string, breaker: Breaker): Promise<void> {
    breaker.probeTimer = null;
    if (this.stopped || breaker.openedAt === null || breaker.probing) return;
    breaker.probing = true;
    let ok = false;
    try {
      await this.clients.get(backend)!.headBucket();
      ok = true;
    } catch {
      // recorded by the observer; the next probe waits longer
    } finally {
      breaker.probing = false;
    }
    if (this.stopped || breaker.openedAt === null) return;
    if (ok) {
      breaker.openedAt = null;
      breaker.failures = 0;
      this.emit({ backend, state: 'closed', reason: 'HeadBucket probe succeeded', at: this.clock() });
      return;
    }
    const { openTimeoutMs } = this.settings;
    const slowest = Math.max(openTimeoutMs, Math.min(openTimeoutMs * MAX_PROBE_BACKOFF, MAX_PROBE_DELAY_MS));
    breaker.probeDelayMs = Math.min(breaker.probeDelayMs * 2, slowest);
    this.scheduleProbe(backend, breaker);
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
