// Monthly usage limits as an availability gate (docs/architecture.md §2 "usage"): a backend whose
// effective usage — published total + this process's unfolded deltas + this operation —
// would pass one of its limits is taken out of that use. Writes check the request and
// ingress limits and go elsewhere (every backend over: 507 InsufficientStorage); reads
// check the request and egress limits and use another copy (every copy over: 503
// SlowDown). The refusals are hard: a limit is a bill, not a fault. Deletes and aborts
// never consult gates, so they are never refused.
import type { BackendConfig } from '@s3o/config';
import type { BackendGate, BackendRefusal, BackendUse } from '../availability.js';
import type { UsageBoard } from './board.js';
import { usagePeriod, type UsageCounts } from './period.js';

export type UsageLimitKind = 'api_requests' | 'egress_bytes' | 'ingress_bytes';

export interface UsageLimits {
  apiRequests: number;
  egressBytes: number;
  ingressBytes: number;
}

export const USAGE_LIMIT_GATE = 'usage-limit';

export function usageLimitsOf(backends: readonly BackendConfig[]): Map<string, UsageLimits> {
  return new Map(backends.map((b) => [b.name, { apiRequests: b.apiRequestLimit, egressBytes: b.egressByteLimit, ingressBytes: b.ingressByteLimit }]));
}

/** The limit `use` of `bytes` more would pass, or null. At a limit, nothing more of its kind goes. */
export function passedLimit(limits: UsageLimits, used: UsageCounts, use: BackendUse, bytes: number): UsageLimitKind | null {
  if (limits.apiRequests > 0 && used.requests + 1 > limits.apiRequests) return 'api_requests';
  const over = (limit: number, value: number) => limit > 0 && (value >= limit || value + bytes > limit);
  if (use === 'write' && over(limits.ingressBytes, used.ingress)) return 'ingress_bytes';
  if (use === 'read' && over(limits.egressBytes, used.egress)) return 'egress_bytes';
  return null;
}

/** The highest ratio of any limit the usage has reached (0 when the backend has none). */
export function limitRatio(limits: UsageLimits, used: UsageCounts): number {
  const ratio = (limit: number, value: number) => (limit > 0 ? value / limit : 0);
  return Math.max(ratio(limits.apiRequests, used.requests), ratio(limits.egressBytes, used.egress), ratio(limits.ingressBytes, used.ingress));
}

export class UsageLimitGate implements BackendGate {
  readonly name = USAGE_LIMIT_GATE;

  constructor(
    private readonly board: UsageBoard,
    private readonly limits: ReadonlyMap<string, UsageLimits>,
    private readonly options: { clock?: () => number; onRefusal?: (backend: string, use: BackendUse, limit: UsageLimitKind) => void } = {},
  ) {}

  check(backend: string, use: BackendUse, bytes: number): BackendRefusal | null {
    const limits = this.limits.get(backend);
    if (!limits || (limits.apiRequests === 0 && limits.egressBytes === 0 && limits.ingressBytes === 0)) return null;
    const used = this.board.effective(backend, usagePeriod((this.options.clock ?? Date.now)()));
    const passed = passedLimit(limits, used, use, bytes);
    if (!passed) return null;
    this.options.onRefusal?.(backend, use, passed);
    return {
      gate: this.name,
      reason: `backend ${backend} reached its monthly ${passed.replace('_', ' ')} limit`,
      s3Code: use === 'write' ? 'InsufficientStorage' : 'SlowDown',
      soft: false,
    };
  }
}
