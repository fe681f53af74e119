// The pending-intent reaper (docs/architecture.md §4 "Crash anywhere is recoverable"). An intent whose
// heartbeat is older than write_path.pending_pattern.min_age belongs to a write, replica or
// move that stopped (a crashed gateway, a lost connection). A HEAD on its storage key says
// what is there:
//   write   — complete bytes (the size the intent claimed; an aborted upload can leave a
//             truncated object) → promoted by the commit rule, unless a newer write of the key
//             committed meanwhile (the bytes become a debt); partial bytes or nothing → a debt.
//   replica / move — never promoted (the sweeps redo the work): a debt, bytes found or not.
//   HEAD failed → left for the next tick. Nothing is deleted on a guess.
// "Nothing there" is owed, not forgotten: a HEAD tells what the backend holds now, not what
// may still land — a backend can still be working through a request the stopped writer sent
// (bytes in its socket buffers), and a writer whose heartbeats could not reach the ledger may
// still be sending. The debt costs one DELETE of a missing key; forgetting would leak.
// Each decision is taken again under the ledger's lock with the same cutoff, so a write whose
// heartbeat came back meanwhile is left alone.
import type { ObjectInfo } from '@s3o/backends';
import type { IntentCursor, IntentRow, ObjectIdentity } from '@s3o/store';
import type { CleanupDeps } from './deps.js';
import { promotedWriteCreated } from './events.js';

export interface ReapCounts {
  /** write intents committed as the key's object */
  promoted: number;
  /** write intents whose key a newer write took: bytes owed */
  superseded: number;
  /** write intents whose bytes are incomplete on the backend: bytes owed */
  incomplete: number;
  /** replica / move intents whose bytes are on the backend: bytes owed */
  owed: number;
  /** intents with nothing on the backend (yet): their storage key owed all the same */
  absent: number;
  /** intents that came alive again or were ended by someone else meanwhile */
  skipped: number;
  /** intents left for the next tick (backend or database error) */
  failed: number;
}

type Outcome = keyof ReapCounts;

/** Our own metadata on stored objects (docs/architecture.md §4 "What a backend object carries"); not the client's. */
const OWN_METADATA_PREFIX = 's3o-';

export class IntentReaper {
  /** Where the next pass resumes, so intents that keep failing cannot hold back the others. */
  private resumeAfter: IntentCursor | null = null;
  private readonly clock: () => number;

  constructor(private readonly deps: CleanupDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** Resolves up to write_path.pending_pattern.batch_size stale intents. */
  async pass(signal: AbortSignal): Promise<ReapCounts> {
    const { ledger, config } = this.deps;
    const { minAgeMs, batchSize } = config.writePath.pendingPattern;
    const heartbeatBefore = this.clock() - minAgeMs;
    let intents = await ledger.listStaleIntents(heartbeatBefore, this.resumeAfter, batchSize);
    if (intents.length === 0 && this.resumeAfter !== null) intents = await ledger.listStaleIntents(heartbeatBefore, null, batchSize);
    const last = intents.at(-1);
    this.resumeAfter = intents.length === batchSize && last ? { heartbeatAt: last.heartbeatAt, intentId: last.intentId } : null;

    const counts: ReapCounts = { promoted: 0, superseded: 0, incomplete: 0, owed: 0, absent: 0, skipped: 0, failed: 0 };
    let next = 0;
    const lanes = Array.from({ length: Math.min(config.cleanupQueue.concurrency, intents.length) }, async () => {
      while (next < intents.length && !signal.aborted) {
        const intent = intents[next++]!;
        counts[await this.resolve(intent, heartbeatBefore, signal)]++;
      }
    });
    await Promise.all(lanes);
    return counts;
  }

  private async resolve(intent: IntentRow, heartbeatBefore: number, signal: AbortSignal): Promise<Outcome> {
    const { ledger, backends, logger } = this.deps;
    const facts = { intentId: intent.intentId, kind: intent.kind, backend: intent.backendName, storageKey: intent.storageKey };
    const client = backends.get(intent.backendName);
    if (!client) {
      logger.warn(facts, 'stale intent on a backend that is not configured; left as it is');
      return 'failed';
    }
    let found: ObjectInfo | null;
    try {
      found = await client.headObject(intent.storageKey, { signal });
    } catch (err) {
      logger.warn({ ...facts, err }, 'could not look at a stale intent\'s bytes; retrying at the next tick');
      return 'failed';
    }
    try {
      if (intent.kind === 'write' && found !== null && found.size === intent.sizeBytes) {
        const result = await ledger.promoteIntent({
          intentId: intent.intentId,
          heartbeatBefore,
          identity: promotedIdentity(intent, found),
          events: (commit) => [promotedWriteCreated(commit)],
        });
        return result.outcome;
      }
      const reason = intent.kind !== 'write' ? `stale ${intent.kind}` : found ? 'incomplete write' : 'abandoned write';
      const reaped = await ledger.reapIntent({ intentId: intent.intentId, heartbeatBefore, reason });
      if (reaped === 'skipped') return 'skipped';
      if (found === null) return 'absent';
      return intent.kind === 'write' ? 'incomplete' : 'owed';
    } catch (err) {
      logger.error({ ...facts, err }, 'could not resolve a stale intent; retrying at the next tick');
      return 'failed';
    }
  }
}

/**
 * The identity a promoted write commits: what the gateway recorded with the intent (content
 * type, metadata, headers), or what the backend object says when there is none; the ETag the
 * gateway stored with the bytes (`s3o-etag`, the MD5 of the client's bytes) or else the
 * backend's own, which is the MD5 for a single PUT.
 */
function promotedIdentity(intent: IntentRow, found: ObjectInfo): ObjectIdentity {
  const etag = found.metadata[`${OWN_METADATA_PREFIX}etag`] ?? found.etag;
  if (intent.identity) return { ...intent.identity, size: intent.sizeBytes, etag };
  const userMetadata = Object.fromEntries(Object.entries(found.metadata).filter(([name]) => !name.startsWith(OWN_METADATA_PREFIX)));
  return {
    size: intent.sizeBytes,
    etag,
    contentType: found.contentType ?? 'application/octet-stream',
    userMetadata,
    headers: found.headers,
  };
}
