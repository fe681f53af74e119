// Which backends may take a write, best first: `pack` fills them in config order,
// `spread` prefers the least utilised. The claim transaction makes the final call.
import type { Config } from '@s3o/config';
import type { Ledger, QuotaRow } from '@s3o/store';

function utilisation(q: QuotaRow): number {
  const used = q.bytesUsed + q.orphanBytes + q.inflightBytes;
  return q.bytesLimit > 0 ? used / q.bytesLimit : 0;
}

export async function rankBackends(config: Config, ledger: Ledger, size: number): Promise<string[]> {
  const eligible = config.backends.filter((b) => b.maxObjectSize === 0 || size <= b.maxObjectSize).map((b) => b.name);
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
