// Lifecycle expiry (lifecycle.rules[]): an object created more than `expiration_days` ago
// whose key starts with the rule's prefix — in the rule's bucket, or in every bucket (config and
// stored, read once per pass) when the rule names none — is deleted like a client delete: a
// delete marker per copy first (@s3o/store deleteWithMarkers, docs/architecture.md §4 "Deletes
// do not come back"), then the ledger's normal delete (copies owed, `object.removed` with op
// LifecycleExpiration). The age — and a rule's tags, which the listing does not carry — are
// checked under the key lock, so an object overwritten or retagged since it was listed is
// judged as it is now.
import type { LifecycleRule } from '@s3o/config';
import { deleteWithMarkers, type MarkerDeps } from '@s3o/store';
import type { CleanupDeps } from './deps.js';
import { lifecycleExpired } from './events.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface LifecycleCounts {
  expired: number;
}

/** Greater (in UTF-8 byte order) than every key that starts with `prefix`, for practical keys. */
function pastPrefix(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

export class LifecycleExpiry {
  private readonly clock: () => number;

  constructor(private readonly deps: CleanupDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** `progress` gets the counts, updated as objects expire (an operator's pass streams them). */
  async pass(signal: AbortSignal, progress?: (counts: LifecycleCounts) => void): Promise<LifecycleCounts> {
    const { config } = this.deps;
    const counts: LifecycleCounts = { expired: 0 };
    progress?.(counts);
    let every: string[] | null = null;
    for (const rule of config.lifecycle.rules) {
      every ??= rule.bucket === null ? await this.everyBucket() : null;
      const buckets = rule.bucket === null ? every! : [rule.bucket];
      for (const bucket of buckets) {
        if (signal.aborted) return counts;
        await this.expire(bucket, rule, signal, counts);
      }
    }
    return counts;
  }

  private markerDeps(): MarkerDeps {
    const { ledger, backends, availability, config, logger } = this.deps;
    return {
      ledger, backends, logger, backendTimeoutMs: config.server.backendTimeoutMs,
      // Backends with an open breaker (or another gate closed) still take a marker, last.
      arrange: availability ? (names) => availability.usableFirst(names, 'write') : undefined,
    };
  }

  /** Config buckets, then those made at run time (docs/architecture.md §4 "Identity"). */
  private async everyBucket(): Promise<string[]> {
    const configured = this.deps.config.buckets.map((b) => b.name);
    const stored = (await this.deps.ledger.identity.snapshot()).buckets.map((b) => b.name).filter((name) => !configured.includes(name));
    return [...configured, ...stored];
  }

  /** Expires what `rule` selects in `bucket`, page by page in key order. */
  private async expire(bucket: string, rule: LifecycleRule, signal: AbortSignal, counts: LifecycleCounts): Promise<void> {
    const { ledger, config, logger } = this.deps;
    const createdBefore = this.clock() - rule.expirationDays * DAY_MS;
    const prefix = `${bucket}/${rule.prefix}`;
    const to = pastPrefix(prefix);
    let from = prefix;
    while (!signal.aborted) {
      const page = await ledger.listRange({ from, to, limit: config.lifecycle.batchSize });
      for (const entry of page) {
        if (signal.aborted) break;
        if (entry.createdAt >= createdBefore) continue;
        const result = await deleteWithMarkers(
          this.markerDeps(),
          entry.objectKey,
          (outcome) => [lifecycleExpired(outcome.object.objectKey, outcome.removed)],
          Object.keys(rule.tags).length > 0 ? { createdBefore, tags: rule.tags } : { createdBefore },
        );
        if (result.sequencer === null) continue;
        counts.expired++;
        logger.debug({ objectKey: entry.objectKey, prefix: rule.prefix, tags: rule.tags, days: rule.expirationDays }, 'object expired');
      }
      const last = page.at(-1);
      if (!last || page.length < config.lifecycle.batchSize) break;
      // Resume strictly after the last key: the key followed by U+0000 is its successor.
      from = `${last.objectKey}\u0000`;
    }
  }
}
