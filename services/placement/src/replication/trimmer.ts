// The over-replication cleaner: an object with more ok copies than the factor (a lowered
// factor, replacements made while a backend was unhealthy, a race of two replicators) loses
// its lowest-scored copies — draining 0, circuit open 1, healthy 2 + (1 − utilisation), so a
// copy on a fuller backend goes before one on an emptier backend. The rows go in one
// transaction under the key lock, never the last ok copy; their bytes become cleanup debts.
import type { QuotaRow } from '@s3o/store';
import { counter } from '@s3o/telemetry';
import type { ReplicationDeps } from './deps.js';
import { isOpen } from './health.js';
import { utilisation } from './targets.js';

const copiesRemoved = counter({
  name: 's3o_over_replication_copies_removed_total',
  help: 'Excess copies removed by the over-replication cleaner',
  labelNames: ['backend'],
});

/** What the scores are computed from, read once per pass. */
export interface BackendStanding {
  draining: ReadonlySet<string>;
  quotas: ReadonlyMap<string, QuotaRow>;
}

export class OverReplicationTrimmer {
  constructor(private readonly deps: ReplicationDeps) {}

  async standing(): Promise<BackendStanding> {
    const { ledger } = this.deps;
    const [drains, quotas] = await Promise.all([ledger.drains.listActiveDrains(), ledger.getQuotas()]);
    return { draining: new Set(drains.map((d) => d.backendName)), quotas: new Map(quotas.map((q) => [q.backendName, q])) };
  }

  /** How much keeping a copy on `backend` is worth: the lowest go first. */
  score(backend: string, standing: BackendStanding): number {
    if (standing.draining.has(backend)) return 0;
    if (isOpen(this.deps.health, backend)) return 1;
    return 2 + (1 - Math.min(1, utilisation(standing.quotas.get(backend))));
  }

  /** Drops the object's lowest-scored copies down to the factor; returns how many went. */
  async trim(objectKey: string, standing: BackendStanding): Promise<number> {
    const { ledger, config, logger } = this.deps;
    const factor = config.replication.factor;
    const found = await ledger.getObject(objectKey);
    if (!found) return 0;
    const ok = found.locations.filter((l) => l.state === 'ok');
    if (ok.length <= factor) return 0;
    const expendable = ok
      .map((l) => ({ backend: l.backendName, score: this.score(l.backendName, standing) }))
      .sort((a, b) => a.score - b.score || (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0))
      .slice(0, ok.length - factor)
      .map((c) => c.backend);
    const dropped = await ledger.dropCopies({
      objectKey, writeId: found.object.writeId, backends: expendable, keepOk: factor, reason: 'over-replicated',
    });
    if (dropped.length > 0) {
      for (const copy of dropped) copiesRemoved.inc({ backend: copy.backendName });
      logger.info({ key: objectKey, dropped: dropped.map((c) => c.backendName), factor }, 'excess copies removed');
    }
    return dropped.length;
  }
}
