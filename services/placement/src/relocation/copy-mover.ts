// Taking one copy off its backend (a drain or the rebalancer): when the object's other ok
// copies already make the factor, the copy is simply dropped; otherwise space is claimed on
// a target with a `move` intent, the bytes stream there from the copy (or, if its backend
// cannot serve them, from another ok copy of the same write), and the ledger swaps the rows
// under the key lock — the source's bytes becoming a cleanup debt in the same transaction.
// The new copy exists before the old one is let go: an object is never without a copy.
import { newId, storageKeyForInternal, storedSizeOf, type LocationRow, type ObjectRow } from '@s3o/store';
import { counter } from '@s3o/telemetry';
import { copyBytes, TargetWriteError } from '../copy-bytes.js';
import { rankTargets } from '../replication/targets.js';
import type { RelocationDeps } from './deps.js';
import { objectMoved, type MoveReason } from '@s3o/events';

const copiesMoved = counter({
  name: 's3o_copies_moved_total',
  help: 'Copies moved to another backend by drains and the rebalancer',
  labelNames: ['reason', 'from', 'to'],
});
const bytesMoved = counter({
  name: 's3o_copies_moved_bytes_total',
  help: 'Bytes of copies moved to another backend by drains and the rebalancer',
  labelNames: ['reason'],
});

export interface RelocateRequest {
  copy: LocationRow;
  reason: MoveReason;
  /** where the copy may go, best first; null = the routing order among backends without a copy */
  targets: string[] | null;
  /** drop the copy instead when the object's other ok copies (off `leaving`) already make the factor */
  dropWhenReplicated: boolean;
  /** backends being emptied: their copies are not "elsewhere", and nothing moves to them */
  leaving: ReadonlySet<string>;
  /** the drain this is for: a move counts in its counters in the move's own transaction */
  drainId?: number;
  signal?: AbortSignal;
}

export type RelocateResult =
  | { outcome: 'moved'; bytes: number }
  /** another backend holds an ok copy: this one was dropped (its bytes a debt) */
  | { outcome: 'dropped' }
  /** the copy is no longer what it was (object rewritten or deleted, copy already gone): nothing to do */
  | { outcome: 'skipped' }
  /** no target has room (or every one is refused) */
  | { outcome: 'no-target' };

/** Debt reason of a move whose copy failed part-way (its target may hold partial bytes). */
const FAILED_MOVE_REASON = 'move-failed';

export class CopyMover {
  constructor(private readonly deps: RelocationDeps) {}

  /** Moves or drops the copy; throws when the bytes could not be copied (nothing changed but a debt for partial bytes). */
  async relocate(r: RelocateRequest): Promise<RelocateResult> {
    const { ledger, config } = this.deps;
    const found = await ledger.getObject(r.copy.objectKey);
    const current = found?.locations.find((l) => l.backendName === r.copy.backendName);
    if (!found || found.object.writeId !== r.copy.writeId || current?.storageKey !== r.copy.storageKey) return { outcome: 'skipped' };
    const { object } = found;
    const others = found.locations.filter((l) => l.backendName !== r.copy.backendName && l.state === 'ok' && !r.leaving.has(l.backendName));
    if (r.dropWhenReplicated && others.length >= config.replication.factor) return this.drop(object, r);

    const exclude = new Set([...found.locations.map((l) => l.backendName), ...r.leaving]);
    const candidates = (r.targets ?? (await rankTargets({ config, ledger, availability: this.deps.availability, size: storedSizeOf(object), exclude })))
      .filter((name) => !exclude.has(name));
    const intentId = newId();
    const claim = candidates.length === 0 ? null : await ledger.claim({
      intentId, kind: 'move', objectKey: object.objectKey, storageKey: storageKeyForInternal(object.objectKey, intentId),
      sizeBytes: storedSizeOf(object), candidates, identity: null,
    });
    if (!claim) {
      // Nowhere to put it; a drain may still let the copy go when another one exists.
      if (r.dropWhenReplicated && others.length > 0) return this.drop(object, r);
      return { outcome: 'no-target' };
    }

    const release = this.deps.admission ? await this.deps.admission.backgroundWrite(r.signal) : () => undefined;
    if (!release) {
      await ledger.dropIntent(claim.intentId);
      throw r.signal?.reason ?? new Error('stopped');
    }
    try {
      await this.copy(object, [current, ...others], claim.backendName, claim.storageKey, claim.intentId, r.signal);
    } finally {
      release();
    }
    const outcome = await ledger.moveCopy({
      intentId: claim.intentId,
      from: { backendName: current.backendName, storageKey: current.storageKey },
      writeId: object.writeId,
      events: (moved) => [objectMoved(moved, r.reason)],
      drainId: r.drainId ?? null,
    });
    if (outcome.outcome === 'intent-gone') {
      // The reaper took the intent while we copied; it may have looked before our bytes landed.
      await ledger.enqueueCleanup([{
        kind: 'object', backendName: claim.backendName, storageKey: claim.storageKey, objectKey: object.objectKey,
        reason: 'move outlived its intent', sizeBytes: storedSizeOf(object),
      }]);
    }
    if (outcome.outcome !== 'moved') {
      this.deps.logger.info({ key: object.objectKey, to: claim.backendName, outcome: outcome.outcome }, 'move not committed; its bytes are owed to cleanup');
      return { outcome: 'skipped' };
    }
    copiesMoved.inc({ reason: r.reason, from: outcome.from.backendName, to: outcome.to.backendName });
    bytesMoved.inc({ reason: r.reason }, outcome.to.sizeBytes);
    return { outcome: 'moved', bytes: outcome.to.sizeBytes };
  }

  private async drop(object: ObjectRow, r: RelocateRequest): Promise<RelocateResult> {
    const dropped = await this.deps.ledger.dropCopies({
      objectKey: object.objectKey, writeId: object.writeId, backends: [r.copy.backendName], keepOk: 1, reason: `${r.reason}-dropped`,
    });
    if (dropped.length === 0) return { outcome: 'skipped' };
    return { outcome: 'dropped' };
  }

  /**
   * Streams the object into the claimed key from the first source that can serve it, keeping
   * the intent's heartbeat fresh. On failure the intent ends (its key a debt when the target
   * may hold partial bytes) and the last error is thrown.
   */
  private async copy(object: ObjectRow, sources: LocationRow[], targetName: string, targetKey: string, intentId: string, signal?: AbortSignal): Promise<void> {
    const { ledger, backends, logger, config } = this.deps;
    const target = backends.get(targetName);
    const heartbeat = setInterval(() => {
      ledger.heartbeat([intentId]).catch((err: unknown) => logger.warn({ err, intentId }, 'move heartbeat failed'));
    }, config.writePath.pendingPattern.heartbeatMs);
    heartbeat.unref();
    let targetTouched = false;
    let lastError: unknown = new Error(`backend ${targetName} has no client`);
    try {
      for (const source of sources) {
        const client = backends.get(source.backendName);
        if (!client || !target) continue;
        try {
          await copyBytes({ source: client, sourceKey: source.storageKey, target, targetKey, size: storedSizeOf(object), signal });
          return;
        } catch (err) {
          lastError = err;
          // Once the target's PUT was sent, any failure — the source stalling mid-body too —
          // may have left part of the bytes there.
          targetTouched = err instanceof TargetWriteError;
          logger.warn({ err, key: object.objectKey, from: source.backendName, to: targetName }, 'copy for a move failed');
          if (targetTouched) break;
        }
      }
    } finally {
      clearInterval(heartbeat);
    }
    if (targetTouched) {
      await ledger.abandonIntent(intentId, FAILED_MOVE_REASON);
    } else {
      await ledger.dropIntent(intentId);
    }
    throw lastError;
  }
}
