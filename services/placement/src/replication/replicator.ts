// Bringing one object to the replication factor (docs/architecture.md §2 placement, §4): while fewer
// copies count than the factor, claim space for a `replica` intent on the best backend
// without a copy, stream the bytes there from an existing copy, and commit the copy under
// the key lock (the store drops it as a debt if the object changed meanwhile). Copies
// marked missing are replaced (a new copy on their backend replaces the row) or, once the
// factor is met elsewhere, dropped. Idempotent: it always starts from the ledger's state.
import { BackendError } from '@s3o/backends';
import { newId, storageKeyForInternal, storedSizeOf, type Claim, type LocationRow, type ObjectRow } from '@s3o/store';
import { auditLog, counter } from '@s3o/telemetry';
import { copyBytes, TargetWriteError } from '../copy-bytes.js';
import type { ReplicationDeps } from './deps.js';
import { objectReplicated, replicationTargetExhausted } from '@s3o/events';
import { ExhaustedNotice } from './exhausted-notice.js';
import { uncountedBackends } from './health.js';
import { rankTargets } from './targets.js';

const copiesMade = counter({
  name: 's3o_replication_copies_created_total',
  help: 'Replica copies committed by the placement service',
  labelNames: ['backend'],
});
const bytesCopied = counter({
  name: 's3o_replication_bytes_copied_total',
  help: 'Bytes of committed replica copies',
  labelNames: ['backend'],
});
const replicationErrors = counter({
  name: 's3o_replication_errors_total',
  help: 'Replica copies that failed or were dropped, by reason',
  labelNames: ['reason'],
});

/** What one replicate() call did. */
export interface ReplicateResult {
  /** copies committed */
  made: number;
  /** the object now has the factor in counting copies (or is gone) */
  complete: boolean;
}

/** Debt reason of a replica whose copy failed part-way (its target may hold partial bytes). */
const FAILED_COPY_REASON = 'replica-failed';

export class Replicator {
  private readonly clock: () => number;
  private readonly exhausted = new ExhaustedNotice();

  constructor(private readonly deps: ReplicationDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  private get factor(): number {
    return this.deps.config.replication.factor;
  }

  /** Backends whose copies do not count now (breaker open longer than the threshold). */
  uncounted(): string[] {
    const { config, health } = this.deps;
    return uncountedBackends(health, config.backends.map((b) => b.name), config.replication.unhealthyThresholdMs, this.clock());
  }

  async replicate(objectKey: string, signal?: AbortSignal): Promise<ReplicateResult> {
    const { ledger, logger } = this.deps;
    const found = await ledger.getObject(objectKey);
    if (!found) return { made: 0, complete: true };
    const { object } = found;
    const uncounted = new Set(this.uncounted());
    // The object's ok copies as this call knows them: sources found gone are taken out, new copies added.
    const ok = found.locations.filter((l) => l.state === 'ok');
    const counted = () => ok.filter((l) => !uncounted.has(l.backendName)).length;
    let made = 0;
    while (counted() < this.factor && !signal?.aborted) {
      if (ok.length === 0) {
        // Nothing to copy from. Lost objects are reported by reconcile (object.lost, admin API,
        // metric); the sweep meets this one on every pass, so it is not reported again here.
        logger.debug({ key: objectKey }, 'no ok copy left to replicate from');
        return { made, complete: false };
      }
      const copy = await this.addCopy(object, ok, counted(), signal);
      if (copy === 'stop') return { made, complete: false };
      if (copy === 'stale') return { made, complete: true };
      ok.push(copy);
      made += 1;
    }
    const unusable = found.locations.filter((l) => l.state !== 'ok' && !ok.some((o) => o.backendName === l.backendName));
    const complete = counted() >= this.factor;
    if (complete) {
      // The factor is met elsewhere: the rows of copies found missing or corrupt go (their bytes as debts).
      for (const state of ['missing', 'corrupt'] as const) {
        const backends = unusable.filter((l) => l.state === state).map((l) => l.backendName);
        if (backends.length === 0) continue;
        await ledger.dropCopies({ objectKey, writeId: object.writeId, backends, keepOk: this.factor, reason: `${state}-repaired` });
      }
    }
    return { made, complete };
  }

  /**
   * One more copy of `object` on a backend that holds none: the committed copy, 'stale' when
   * the object changed meanwhile, 'stop' when no copy could be made now (no target, or the
   * copy failed — the sweep tries again later). Sources found gone are removed from `ok`.
   */
  private async addCopy(object: ObjectRow, ok: LocationRow[], counted: number, signal?: AbortSignal): Promise<LocationRow | 'stale' | 'stop'> {
    const { config, ledger, availability, logger } = this.deps;
    const exclude = new Set(ok.map((l) => l.backendName));
    const candidates = await rankTargets({ config, ledger, availability, size: storedSizeOf(object), exclude });
    const intentId = newId();
    const claim = candidates.length === 0 ? null : await ledger.claim({
      intentId,
      kind: 'replica',
      objectKey: object.objectKey,
      storageKey: storageKeyForInternal(object.objectKey, intentId),
      sizeBytes: storedSizeOf(object),
      candidates,
      identity: null,
    });
    if (!claim) {
      await this.announceExhausted(object.objectKey, counted);
      return 'stop';
    }
    // A copy is a background write: it waits for a slot of the write budget it shares with the gateway.
    const release = this.deps.admission ? await this.deps.admission.backgroundWrite(signal) : () => undefined;
    if (!release) {
      await ledger.dropIntent(claim.intentId);
      return 'stop';
    }
    let from: string | null;
    try {
      from = await this.copyFrom(object, ok, claim, signal);
    } finally {
      release();
    }
    if (from === null) return 'stop';
    const outcome = await ledger.commitReplica({
      intentId: claim.intentId,
      writeId: object.writeId,
      events: (commit) => [objectReplicated(commit, from)],
    });
    switch (outcome.outcome) {
      case 'replicated':
        copiesMade.inc({ backend: outcome.copy.backendName });
        bytesCopied.inc({ backend: outcome.copy.backendName }, outcome.copy.sizeBytes);
        auditLog(logger, 'replication.copy', {
          key: object.objectKey, from, to: outcome.copy.backendName, storage_key: outcome.copy.storageKey, size: outcome.copy.sizeBytes,
        });
        return outcome.copy;
      case 'stale':
        replicationErrors.inc({ reason: 'stale' });
        logger.debug({ key: object.objectKey, to: claim.backendName }, 'object changed while it was copied; the copy is owed to cleanup');
        return 'stale';
      default:
        // duplicate: another replicator was first on that backend (the store owed our bytes);
        // intent-gone: the reaper took the intent while we copied — it may have looked before
        // our bytes landed, so they are owed here too (a second debt of a key costs one DELETE).
        if (outcome.outcome === 'intent-gone') {
          await ledger.enqueueCleanup([{
            kind: 'object', backendName: claim.backendName, storageKey: claim.storageKey, objectKey: object.objectKey,
            reason: 'replica outlived its intent', sizeBytes: storedSizeOf(object),
          }]);
        }
        replicationErrors.inc({ reason: outcome.outcome });
        logger.info({ key: object.objectKey, to: claim.backendName, outcome: outcome.outcome }, 'replica not committed');
        return 'stop';
    }
  }

  /**
   * Streams the object from the first source copy that can be read into the claimed storage
   * key, keeping the intent's heartbeat fresh meanwhile. A source the backend says it does not
   * have is marked missing and removed from `ok`. Returns the source backend, or null after
   * ending the intent (a debt when the target may hold partial bytes).
   */
  private async copyFrom(object: ObjectRow, ok: LocationRow[], claim: Claim, signal?: AbortSignal): Promise<string | null> {
    const { ledger, backends, logger, config } = this.deps;
    const target = backends.get(claim.backendName);
    const heartbeat = setInterval(() => {
      ledger.heartbeat([claim.intentId]).catch((err: unknown) => logger.warn({ err, intentId: claim.intentId }, 'replica heartbeat failed'));
    }, config.writePath.pendingPattern.heartbeatMs);
    heartbeat.unref();
    let targetTouched = false;
    try {
      for (const source of this.sourceOrder(ok)) {
        const client = backends.get(source.backendName);
        if (!client || !target) continue;
        try {
          await copyBytes({ source: client, sourceKey: source.storageKey, target, targetKey: claim.storageKey, size: storedSizeOf(object), signal });
          return source.backendName;
        } catch (err) {
          if (isNoSuchKey(err, source.backendName)) {
            await this.markMissing(source);
            ok.splice(ok.indexOf(source), 1);
            continue;
          }
          // Once the target's PUT was sent, any failure — the source stalling mid-body too —
          // may have left part of the bytes there.
          targetTouched = err instanceof TargetWriteError;
          replicationErrors.inc({ reason: 'copy-failed' });
          logger.warn({ err, key: object.objectKey, from: source.backendName, to: claim.backendName }, 'replica copy failed');
          if (targetTouched) break;
        }
      }
    } finally {
      clearInterval(heartbeat);
    }
    if (targetTouched) {
      await ledger.abandonIntent(claim.intentId, FAILED_COPY_REASON);
    } else {
      await ledger.dropIntent(claim.intentId);
    }
    return null;
  }

  /** Counting copies first, then the rest; gates order soft-refused (open breaker) backends last. */
  private sourceOrder(ok: LocationRow[]): LocationRow[] {
    const uncounted = new Set(this.uncounted());
    const ordered = [...ok.filter((l) => !uncounted.has(l.backendName)), ...ok.filter((l) => uncounted.has(l.backendName))];
    const availability = this.deps.availability;
    if (!availability) return ordered;
    const { usable } = availability.arrange(ordered.map((l) => l.backendName), 'read', 0, true);
    const byBackend = new Map(ordered.map((l) => [l.backendName, l]));
    return usable.map((name) => byBackend.get(name)!);
  }

  /** A source copy the backend says it does not have: marked missing, to be repaired. */
  private async markMissing(copy: LocationRow): Promise<void> {
    const marked = await this.deps.ledger.markCopyMissing(copy.objectKey, copy.backendName, copy.storageKey);
    this.deps.logger.warn({ key: copy.objectKey, backend: copy.backendName, storageKey: copy.storageKey, marked }, 'copy not found on its backend; marked missing');
  }

  private async announceExhausted(objectKey: string, reached: number): Promise<void> {
    replicationErrors.inc({ reason: 'target-exhausted' });
    if (!this.exhausted.shouldAnnounce(objectKey, this.clock())) return;
    this.deps.logger.warn({ key: objectKey, wanted: this.factor, reached }, 'no backend can take another copy');
    await this.deps.ledger.appendEvents([replicationTargetExhausted(objectKey, this.factor, reached)]);
  }
}

/**
 * The source backend answered "no such key" for the copy (not a failure of the backend; a
 * 404 naming another code, e.g. NoSuchBucket, says nothing about the copy).
 */
function isNoSuchKey(err: unknown, backend: string): boolean {
  return err instanceof BackendError && err.backend === backend && err.operation === 'GetObject' &&
    (err.code === 'NoSuchKey' || (err.status === 404 && err.code === 'NotFound'));
}
