// Admission control of S3 requests (`server.max_concurrent_requests`, `max_concurrent_reads`,
// `max_concurrent_writes`, `load_shed_threshold`, `admission_wait`): a request takes a slot
// of the overall budget and one of its class (reads: GET/HEAD; writes: PUT/POST/DELETE)
// before anything else is done for it, and holds them until its response ends. With a
// budget full it waits up to admission_wait for a slot; above load_shed_threshold of a
// budget it is refused early with a probability that rises linearly to 1 at the full
// budget, so an overloaded gateway answers SlowDown (clients back off) instead of queueing
// until everything times out. Background copies of the process share the write budget
// (ProcessAdmission.backgroundWrite in shared/backends).
import type { ConcurrencyBudget, ProcessAdmission, Release } from '@s3o/backends';

export type RequestClass = 'read' | 'write';

export type AdmissionDecision =
  | { admitted: true; release: Release }
  | { admitted: false; reason: 'shed' | 'full' };

export interface AdmissionOptions {
  loadShedThreshold: number;
  admissionWaitMs: number;
  /** [0, 1); tests of the shedding curve pass their own */
  random?: () => number;
}

export function requestClass(method: string | undefined): RequestClass {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

export class RequestAdmission {
  constructor(private readonly budgets: ProcessAdmission, private readonly options: AdmissionOptions) {}

  /** True when no budget is configured: requests pass without any bookkeeping. */
  get unlimited(): boolean {
    return this.budgets.requests.unlimited && this.budgets.reads.unlimited && this.budgets.writes.unlimited;
  }

  async admit(kind: RequestClass, signal?: AbortSignal): Promise<AdmissionDecision> {
    const budgets = [this.budgets.requests, kind === 'read' ? this.budgets.reads : this.budgets.writes].filter((b) => !b.unlimited);
    if (budgets.some((b) => this.shouldShed(b))) return { admitted: false, reason: 'shed' };
    const deadline = Date.now() + this.options.admissionWaitMs;
    const held: Release[] = [];
    for (const budget of budgets) {
      const release = await budget.acquire(Math.max(0, deadline - Date.now()), signal);
      if (!release) {
        for (const r of held) r();
        return { admitted: false, reason: 'full' };
      }
      held.push(release);
    }
    return { admitted: true, release: () => held.forEach((r) => r()) };
  }

  private shouldShed(budget: ConcurrencyBudget): boolean {
    const threshold = this.options.loadShedThreshold;
    if (threshold <= 0) return false;
    const load = budget.load;
    if (load < threshold) return false;
    const probability = Math.min(1, (load - threshold) / (1 - threshold));
    return (this.options.random ?? Math.random)() < probability;
  }
}
