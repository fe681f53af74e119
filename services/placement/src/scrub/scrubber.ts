// The scrubber (docs/architecture.md, "Integrity"): one pass re-reads up to
// `integrity.scrub_objects_per_pass` ok copies not verified for `scrub_min_age` — never-verified
// first, then oldest-verified — at most `scrub_bytes_per_second`, skipping backends a usage
// limit refuses reads now. A good copy gets its verified_at; a corrupt one is marked so
// (integrity.corruption_detected, metric, audit line) and replication rebuilds it; one that
// could not be read is left for the next pass. An operator's pass may be scoped (`admin scrub
// --key K --backend B`): one object's copies, or only the copies on one backend; a scoped pass
// reads its copies whatever their age (the operator wants them checked now).
import type { BackendAvailability, BackendClient } from '@s3o/backends';
import type { Config } from '@s3o/config';
import type { KeySource } from '@s3o/crypto';
import { splitInternalKey } from '@s3o/events';
import type { LeaderLocks, MissingCopyLedger, ReadLedger, ScrubCandidate, ScrubLedger } from '@s3o/store';
import type { RunParams } from '@s3o/workers';
import { auditLog, counter, type Logger } from '@s3o/telemetry';
import { ByteBudget } from './byte-budget.js';
import { checkCopy } from './check-copy.js';

export type ScrubberLedger = ScrubLedger & ReadLedger & MissingCopyLedger & LeaderLocks;

export interface ScrubberDeps {
  config: Config;
  ledger: ScrubberLedger;
  backends: Map<string, BackendClient>;
  availability?: BackendAvailability;
  /** the master keys, to authenticate encrypted copies; without them encrypted copies are left unchecked */
  keys?: KeySource | null;
  logger: Logger;
  clock?: () => number;
}

export interface ScrubCounts {
  /** copies read whole and found good */
  verified: number;
  /** copies found corrupt (and marked) */
  corrupt: number;
  /** copies not read now: a backend refused by its limits, an unreadable copy, an object rewritten meanwhile */
  skipped: number;
  /** bytes read from the backends */
  bytes: number;
}

/** What an operator's pass is limited to; empty = every due copy. */
export interface ScrubScope {
  /** one object, by internal key `{bucket}/{key}` */
  key?: string;
  /** only copies on this backend */
  backend?: string;
}

/** The scope an operator's run was asked with (the admin API checked the values); any other parameter is an error. */
export function scrubScopeOf(params: RunParams | undefined): ScrubScope {
  const scope: ScrubScope = {};
  for (const [name, value] of Object.entries(params ?? {})) {
    if (name === 'key' || name === 'backend') scope[name] = value;
    else throw new Error(`scrub takes key and backend, not ${JSON.stringify(name)}`);
  }
  return scope;
}

const corruptCopies = counter({
  name: 's3o_integrity_corrupt_copies_total',
  help: 'Copies whose bytes failed their check (reason: sha256 | authentication | length), by backend and by what found them (read | scrub)',
  labelNames: ['backend', 'reason', 'detected_by'] as const,
});
const scrubbed = counter({
  name: 's3o_integrity_scrubbed_copies_total',
  help: 'Copies the scrubber read, by outcome (verified | corrupt | skipped)',
  labelNames: ['outcome'] as const,
});
const scrubbedBytes = counter({ name: 's3o_integrity_scrubbed_bytes_total', help: 'Bytes the scrubber read from the backends' });

export class Scrubber {
  constructor(private readonly deps: ScrubberDeps) {}

  /** One pass; `progress` gets the counts object it updates as it goes (an operator's pass streams it). */
  async pass(signal: AbortSignal, progress?: (counts: ScrubCounts) => void, scope: ScrubScope = {}): Promise<ScrubCounts> {
    const { config, ledger, backends, availability, logger } = this.deps;
    const clock = this.deps.clock ?? Date.now;
    const settings = config.integrity.scrub;
    const counts: ScrubCounts = { verified: 0, corrupt: 0, skipped: 0, bytes: 0 };
    progress?.(counts);
    const budget = new ByteBudget(settings.bytesPerSecond, clock);
    const candidates = await this.candidates(scope, clock(), settings.minAgeMs, settings.objectsPerPass);
    for (const { copy } of candidates) {
      if (signal.aborted) break;
      const skip = () => {
        counts.skipped += 1;
        scrubbed.inc({ outcome: 'skipped' });
      };
      const client = backends.get(copy.backendName);
      const found = await ledger.getObject(copy.objectKey);
      const current = found?.locations.find((l) => l.backendName === copy.backendName && l.storageKey === copy.storageKey && l.state === 'ok');
      if (!client || !found || !current || found.object.writeId !== copy.writeId) {
        skip();
        continue;
      }
      if (availability && availability.arrange([copy.backendName], 'read', copy.sizeBytes).usable.length === 0) {
        skip();
        continue;
      }
      const result = await checkCopy(client, found.object, copy, this.deps.keys ?? null, budget, signal);
      counts.bytes += result.bytes;
      scrubbedBytes.inc(result.bytes);
      const where = { ...splitInternalKey(copy.objectKey), backend: copy.backendName, storageKey: copy.storageKey };
      if (result.outcome === 'good') {
        await ledger.markCopyVerified(copy.objectKey, copy.backendName, copy.storageKey, clock());
        counts.verified += 1;
        scrubbed.inc({ outcome: 'verified' });
      } else if (result.outcome === 'corrupt') {
        counts.corrupt += 1;
        scrubbed.inc({ outcome: 'corrupt' });
        corruptCopies.inc({ backend: copy.backendName, reason: result.reason, detected_by: 'scrub' });
        auditLog(logger, 'integrity.corruption_detected', { ...where, reason: result.reason, detectedBy: 'scrub', error: result.detail });
        const marked = await ledger.markCopyCorrupt({
          objectKey: copy.objectKey, backendName: copy.backendName, storageKey: copy.storageKey, writeId: copy.writeId, reason: result.reason, detectedBy: 'scrub',
        });
        logger.error({ ...where, reason: result.reason, detail: result.detail, marked }, 'scrub: copy failed its integrity check; marked corrupt');
      } else {
        logger.warn({ ...where, detail: result.detail }, 'scrub: copy could not be checked now');
        skip();
      }
    }
    return counts;
  }

  private async candidates(scope: ScrubScope, now: number, minAgeMs: number, limit: number): Promise<ScrubCandidate[]> {
    const { ledger } = this.deps;
    if (scope.key !== undefined) {
      const found = await ledger.getObject(scope.key);
      return (found?.locations ?? [])
        .filter((l) => l.state === 'ok' && (scope.backend === undefined || l.backendName === scope.backend))
        .map((copy) => ({ copy, verifiedAt: null }));
    }
    if (scope.backend !== undefined) return ledger.listCopiesToScrub({ verifiedBefore: now, limit, backendName: scope.backend });
    return ledger.listCopiesToScrub({ verifiedBefore: now - minAgeMs, limit });
  }
}

/** Whether a pass is worth a log line at info level. */
export function scrubFoundSomething(counts: ScrubCounts): boolean {
  return counts.corrupt > 0;
}
