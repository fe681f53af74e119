// Metering: counts every call this process makes to a backend — the gateway's and every
// background worker's — per backend and month, as a BackendObserver attached to each
// BackendClient. A call is one API request and its request body is ingress, both counted
// as it starts (providers bill a request whether or not it succeeds); the bytes of its
// answer are egress, counted when the answer is done. The counts stay here until the
// flusher takes them (flusher.ts).
import type { BackendCall, BackendCallOutcome, BackendObserver } from '../observe.js';
import { usageKey, usagePeriod, type BackendUsage, type UsageCounts } from './period.js';

export class UsageMeter implements BackendObserver {
  private pending = new Map<string, BackendUsage>();

  constructor(private readonly clock: () => number = Date.now) {}

  start(call: BackendCall): (outcome: BackendCallOutcome) => void {
    // The month of the call's start owns its egress too, so a call across midnight of the
    // last day is billed whole to one month.
    const period = usagePeriod(this.clock());
    this.add(call.backend, period, { requests: 1, egress: 0, ingress: call.ingressBytes });
    return (outcome) => {
      if (outcome.egressBytes > 0) this.add(call.backend, period, { requests: 0, egress: outcome.egressBytes, ingress: 0 });
    };
  }

  /** Everything counted since the last take, per backend and month; the meter starts again from zero. */
  take(): BackendUsage[] {
    const taken = [...this.pending.values()];
    this.pending = new Map();
    return taken;
  }

  /** Counts that could not be published go back, to be taken again with the next ones. */
  restore(usage: readonly BackendUsage[]): void {
    for (const u of usage) this.add(u.backend, u.period, u);
  }

  /** What is counted and not taken yet for `backend` in `period`. */
  pendingOf(backend: string, period: string): UsageCounts | undefined {
    return this.pending.get(usageKey(backend, period));
  }

  private add(backend: string, period: string, counts: UsageCounts): void {
    const key = usageKey(backend, period);
    let entry = this.pending.get(key);
    if (!entry) this.pending.set(key, (entry = { backend, period, requests: 0, egress: 0, ingress: 0 }));
    entry.requests += counts.requests;
    entry.egress += counts.egress;
    entry.ingress += counts.ingress;
  }
}
