// Where a new copy may go, best first. The same order as the gateway's first placement
// (routing_strategy: pack = config order, spread = least utilised first), minus backends that
// already hold a copy of the object, cannot hold an object this large, or that a gate refuses
// for writes (open breaker, usage limit). Space and drains are decided by the claim itself.
import type { Config } from '@s3o/config';
import type { BackendAvailability } from '@s3o/backends';
import type { QuotaRow, ReadLedger } from '@s3o/store';

/** Share of a backend's quota taken (used + orphan + in flight); 0 for unlimited backends. */
export function utilisation(q: QuotaRow | undefined): number {
  if (!q || q.bytesLimit <= 0) return 0;
  return (q.bytesUsed + q.orphanBytes + q.inflightBytes) / q.bytesLimit;
}

export interface TargetRequest {
  config: Config;
  ledger: ReadLedger;
  availability?: BackendAvailability;
  size: number;
  /** backends that already hold a copy (one copy per backend) */
  exclude: ReadonlySet<string>;
}

export async function rankTargets(r: TargetRequest): Promise<string[]> {
  const eligible = r.config.backends
    .filter((b) => !r.exclude.has(b.name))
    .filter((b) => b.maxObjectSize === 0 || r.size <= b.maxObjectSize)
    .map((b) => b.name)
    .filter((name) => !r.availability?.check(name, 'write', r.size));
  if (r.config.routingStrategy === 'pack' || eligible.length < 2) return eligible;
  const quotas = new Map((await r.ledger.getQuotas()).map((q) => [q.backendName, q]));
  const order = new Map(eligible.map((n, i) => [n, i]));
  return [...eligible].sort((a, b) => {
    const qa = quotas.get(a);
    const qb = quotas.get(b);
    const ua = utilisation(qa);
    const ub = utilisation(qb);
    if (ua !== ub) return ua - ub;
    const ba = qa?.bytesUsed ?? 0;
    const bb = qb?.bytesUsed ?? 0;
    if (ba !== bb) return ba - bb;
    return order.get(a)! - order.get(b)!;
  });
}
