// One reconcile pass: every configured backend walked once (backend-walk.ts), one after
// another — a backend whose walk fails is logged and tried again next pass — then the lost
// objects reported (lost-objects.ts).
import { counter } from '@s3o/telemetry';
import { BackendWalk } from './backend-walk.js';
import { zeroCounts, type ReconcileCounts, type ReconcileDeps } from './deps.js';
import { LostObjectReporter } from './lost-objects.js';

const findings = counter<'outcome'>({
  name: 's3o_reconcile_findings_total',
  help: 'What reconcile passes found and did, by outcome (ReconcileCounts field names)',
  labelNames: ['outcome'],
});

/** Counts that are findings; the others (keys listed, bytes, backends walked) are not. */
const NOT_FINDINGS = new Set<keyof ReconcileCounts>(['backends', 'keysListed', 'importedBytes']);

export class Reconciler {
  private readonly lost: LostObjectReporter;

  constructor(private readonly deps: ReconcileDeps) {
    this.lost = new LostObjectReporter(deps);
  }

  async pass(signal: AbortSignal, progress?: (counts: ReconcileCounts) => void): Promise<ReconcileCounts> {
    const { deps } = this;
    const counts = zeroCounts();
    // The walks update it key by key: an operator's pass streams it.
    progress?.(counts);
    // Objects are imported into config buckets and those made at run time, read once per pass.
    const buckets = new Set([...deps.config.buckets.map((b) => b.name), ...(await deps.ledger.identity.snapshot()).buckets.map((b) => b.name)]);
    for (const backend of deps.config.backends) {
      const client = deps.backends.get(backend.name);
      if (!client) continue;
      signal.throwIfAborted();
      try {
        await new BackendWalk(deps, client, counts, buckets).run(signal);
        counts.backends++;
      } catch (err) {
        if (signal.aborted) throw err;
        counts.backendsFailed++;
        deps.logger.error({ err, backend: backend.name }, 'reconcile could not walk a backend; next pass');
      }
    }
    counts.objectsLost = (await this.lost.report(signal)).newlyLost;
    for (const [outcome, n] of Object.entries(counts) as Array<[keyof ReconcileCounts, number]>) {
      if (n > 0 && !NOT_FINDINGS.has(outcome)) findings.inc({ outcome }, n);
    }
    return counts;
  }
}
