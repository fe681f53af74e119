// Which backends may take a write, best first: `pack` fills them in config order,
// `spread` prefers the least utilised. Backends a gate refuses (open breaker, usage
// limit) are left out; the claim transaction makes the final call on space and drains.
import type { Config } from '@s3o/config';
import type { BackendAvailability, BackendRefusal } from '@s3o/backends';
import { S3Error } from '@s3o/s3';
import type { QuotaRow, ReadLedger } from '@s3o/store';

function utilisation(q: QuotaRow): number {
  const used = q.bytesUsed + q.orphanBytes + q.inflightBytes;
  return q.bytesLimit > 0 ? used / q.bytesLimit : 0;
}

export async function rankBackends(config: Config, ledger: ReadLedger, size: number, availability?: BackendAvailability): Promise<string[]> {
  let eligible = config.backends.filter((b) => b.maxObjectSize === 0 || size <= b.maxObjectSize).map((b) => b.name);
  if (availability) {
    const { usable, refusals } = availability.arrange(eligible, 'write', size);
    if (usable.length === 0 && refusals.length > 0) throw refusedError(refusals);
    eligible = usable;
  }
  if (config.routingStrategy === 'pack' || eligible.length < 2) return eligible;
  const quotas = new Map((await ledger.getQuotas()).map((q) => [q.backendName, q]));
  const order = new Map(eligible.map((n, i) => [n, i]));
  return [...eligible].sort((a, b) => {
    const qa = quotas.get(a);
    const qb = quotas.get(b);
    const ua = qa ? utilisation(qa) : 0;
    const ub = qb ? utilisation(qb) : 0;
    if (ua !== ub) return ua - ub;
    const ba = qa ? qa.bytesUsed : 0;
    const bb = qb ? qb.bytesUsed : 0;
    if (ba !== bb) return ba - bb;
    return (order.get(a) ?? 0) - (order.get(b) ?? 0);
  });
}

/** The answer when every backend was refused: the first refusal's S3 error. */
export function refusedError(refusals: readonly BackendRefusal[]): S3Error {
  const first = refusals[0]!;
  return new S3Error(first.s3Code, { message: `No backend can take this request now (${first.gate}: ${first.reason}).` });
}
