// Reporting lost objects — objects none of whose copies is ok, whoever marked the last one
// missing (a reconcile walk or a read that failed over). After each pass every lost object
// is looked at: one `object.lost` event per object (per write of it) the first time this
// process sees it lost, an error in the log, and the s3o_objects_lost gauge. The objects
// stay in the ledger — listed by GET /admin/api/lost-objects — until an operator restores
// their bytes or deletes them. A new leader (another process, a restart) reports each
// still-lost object once more: at least once, like every event.
import { gauge } from '@s3o/telemetry';
import type { ReconcileDeps } from './deps.js';
import { objectLost } from '@s3o/events';

const PAGE = 500;

const lostGauge = gauge({
  name: 's3o_objects_lost',
  help: 'Objects with no copy left: every copy the ledger records was found absent (GET /admin/api/lost-objects lists them)',
});

export class LostObjectReporter {
  /** object key → write id of the lost objects already reported by this process */
  private reported = new Map<string, string>();

  constructor(private readonly deps: ReconcileDeps) {}

  /** Reports the lost objects not reported yet; returns how many are lost and how many were new. */
  async report(signal: AbortSignal): Promise<{ lost: number; newlyLost: number }> {
    const { ledger, logger } = this.deps;
    const lost = new Map<string, string>();
    let newlyLost = 0;
    let after: string | null = null;
    for (;;) {
      signal.throwIfAborted();
      const page = await ledger.listLostObjects(after, PAGE);
      const fresh = page.filter((o) => this.reported.get(o.objectKey) !== o.writeId);
      if (fresh.length > 0) {
        await ledger.appendEvents(fresh.map((o) => objectLost(o, o.copies)));
        newlyLost += fresh.length;
        for (const o of fresh) {
          logger.error({ objectKey: o.objectKey, copies: o.copies.map((c) => `${c.backendName}:${c.storageKey}`) }, 'object lost: no copy of it is left');
        }
      }
      for (const o of page) lost.set(o.objectKey, o.writeId);
      if (page.length < PAGE) break;
      after = page.at(-1)!.objectKey;
    }
    this.reported = lost;
    lostGauge.set(lost.size);
    return { lost: lost.size, newlyLost };
  }
}
