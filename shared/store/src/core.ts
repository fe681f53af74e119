// The ledger's business rules (DESIGN §4): the only place that knows which statements make up
// a claim, a commit, a delete, a multipart completion or a cleanup, and in which order. Each
// multi-step change runs in ONE adapter transaction, so a crash leaves either all of it or
// none of it: bytes are never charged twice, and no debt is ever lost.
import { newId } from './ids.js';
import {
  InvalidPartError, InvalidPartOrderError, NoSuchIntentError, NoSuchUploadError, PreconditionFailedError,
} from './errors.js';
import type {
  BackendQuotaConfig, ClaimRequest, CommitWriteRequest, CompleteMultipartRequest, CreateUploadRequest, DeleteOptions,
  DeleteResult, HoldingsRequest, Ledger, ListRequest, PromoteIntentRequest, ReapIntentRequest,
} from './ledger.js';
import type { EventRow, HoldingPage, LeaderLock, ReadStatements, TxAdapter, TxStatements } from './tx-adapter.js';
import { CoreNotificationOutbox } from './core-notifications.js';
import { CoreUsage } from './core-usage.js';
import type { UsageDelta, UsageFoldResult, UsageRow } from './usage.js';
import { CorePlacement } from './core-placement.js';
import { CoreDrains } from './core-drains.js';
import type { MoveCopyOutcome, MoveCopyRequest } from './drain-types.js';
import type {
  CommitReplicaOutcome, CommitReplicaRequest, DropCopiesRequest, ReplicationCandidate, ReplicationPageRequest,
  UnderReplicatedRequest,
} from './placement-types.js';
import { importBatch, listLostObjects } from './core-import.js';
import type { ImportObjectRequest, ImportOutcome, LostObject } from './reconcile-types.js';
import type {
  BackendHolding, CleanupDebt, CleanupRow, Claim, CommitEvents, CommitResult, CompleteMultipartResult, DeadLetterRow,
  DeleteOutcome, HoldingKind, IntentCursor, IntentRow, ListEntry, LocationRow, MultipartPartRow, MultipartUploadRow,
  NewEvent, ObjectIdentity, ObjectRow, PromoteOutcome, QuotaRow, ReapOutcome, StandardHeaders, StoredEvent,
} from './types.js';

export interface LedgerOptions {
  /** `source` of every event this ledger appends (service + instance). */
  source: string;
  /** Epoch milliseconds; defaults to Date.now. */
  clock?: () => number;
  /**
   * The W3C traceparent of the caller's active span (tracing): stamped on every event an
   * operation appends without one of its own, so consumers continue the caller's trace.
   */
  traceparent?: () => string | null;
}

const NO_TRACE = (): null => null;

/** Version of the data of the `cleanup.enqueued` events the store appends itself. */
const CLEANUP_ENQUEUED_VERSION = 1;

/** Dead letters moved back to the queue per transaction, so a large DLQ does not hold the writer long. */
const REQUEUE_BATCH = 500;

/** The read statement that pages each kind of holding (one per table family). */
const HOLDING_READERS: Record<HoldingKind, (q: ReadStatements, backendName: string, page: HoldingPage) => Promise<BackendHolding[]>> = {
  copy: (q, b, p) => q.listLocationHoldings(b, p),
  intent: (q, b, p) => q.listIntentHoldings(b, p),
  debt: (q, b, p) => q.listCleanupHoldings(b, p),
  dead_letter: (q, b, p) => q.listDeadLetterHoldings(b, p),
  upload: (q, b, p) => q.listUploadHoldings(b, p),
};

/** `seq` as the S3 event sequencer: 16 lower-case hex digits, so string order = numeric order. */
export function sequencerOf(seq: number): string {
  return seq.toString(16).padStart(16, '0');
}

export function createLedger(adapter: TxAdapter, options: LedgerOptions): Ledger {
  return new CoreLedger(adapter, options.source, options.clock ?? Date.now, options.traceparent ?? NO_TRACE);
}

/** `limit − used − orphan − inflight ≥ size`, limit 0 = unlimited. */
function hasRoom(balance: { bytesLimit: number; bytesUsed: number; orphanBytes: number }, inflight: number, size: number): boolean {
  if (balance.bytesLimit === 0) return true;
  return balance.bytesLimit - balance.bytesUsed - balance.orphanBytes - inflight >= size;
}

function normaliseEtag(etag: string): string {
  return etag.replace(/^"+|"+$/g, '').toLowerCase();
}

/**
 * What one transaction owes besides its own statements: quota deltas (applied once per backend
 * at the end), cleanup debts and the events to append. Collecting them here keeps every
 * operation's arithmetic in one place and the appended events in a fixed order.
 */
export class TxWork {
  private readonly quota = new Map<string, { used: number; orphan: number }>();
  private readonly debtCounts = new Map<string, number>();

  constructor(
    readonly tx: TxStatements,
    readonly now: number,
    private readonly source: string,
    private readonly traceparent: () => string | null = NO_TRACE,
  ) {}

  private delta(backend: string): { used: number; orphan: number } {
    let d = this.quota.get(backend);
    if (!d) this.quota.set(backend, (d = { used: 0, orphan: 0 }));
    return d;
  }

  /** bytes_used += bytes (negative frees). */
  chargeUsed(backend: string, bytes: number): void {
    this.delta(backend).used += bytes;
  }

  /** The bytes an intent may have written are not needed: they become a debt (the intent is already taken). */
  async oweIntent(intent: IntentRow, reason: string): Promise<void> {
    await this.owe(debtForIntent(intent, reason));
  }

  /**
   * Takes a `replica` / `move` intent and locks its key. Null when the intent is gone (the
   * reaper took it); 'stale' — its bytes already owed as `staleReason` — when the object was
   * deleted or rewritten while the copy was made.
   */
  async takeCopyIntent(intentId: string, kind: 'replica' | 'move', writeId: string, staleReason: string): Promise<{ intent: IntentRow; object: ObjectRow } | null | 'stale'> {
    const intent = await this.tx.takeIntent(intentId);
    if (!intent) return null;
    if (intent.kind !== kind) throw new TypeError(`intent ${intent.intentId} is a ${intent.kind} intent; only ${kind} intents commit here`);
    // The key lock: a commit, delete, replica or move of this key waits for us (or we for it).
    const object = await this.tx.lockObjectKey(intent.objectKey);
    if (!object || object.writeId !== writeId) {
      await this.oweIntent(intent, staleReason);
      await this.finish();
      return 'stale';
    }
    return { intent, object };
  }

  /** A new copy of `object` at `storageKey` on `backendName`: its row, and its bytes charged to the backend. */
  async addCopy(object: ObjectRow, backendName: string, storageKey: string): Promise<LocationRow> {
    const copy: LocationRow = {
      objectKey: object.objectKey, backendName, storageKey, writeId: object.writeId, sizeBytes: object.size, createdAt: this.now, state: 'ok',
    };
    await this.tx.insertLocation(copy);
    this.chargeUsed(backendName, object.size);
    return copy;
  }

  /** Record bytes that must be deleted from a backend; they count as orphan until deleted. */
  async owe(debt: CleanupDebt): Promise<void> {
    await this.tx.insertCleanup(debt, this.now);
    this.delta(debt.backendName).orphan += debt.sizeBytes;
    this.debtCounts.set(debt.backendName, (this.debtCounts.get(debt.backendName) ?? 0) + 1);
  }

  /** Bytes owed on a backend are no longer owed (deleted, or settled by an operator): orphan_bytes -= bytes. */
  releaseOrphan(backend: string, bytes: number): void {
    this.delta(backend).orphan -= bytes;
  }

  /** A dead letter goes back to the queue; its bytes were never released, so no quota changes. */
  async requeue(row: DeadLetterRow): Promise<void> {
    await this.tx.reinsertCleanup(row, this.now);
    this.debtCounts.set(row.backendName, (this.debtCounts.get(row.backendName) ?? 0) + 1);
  }

  /** A committed copy stops being live: its bytes move from used to orphan, as a debt. */
  async displace(location: LocationRow, reason: string): Promise<void> {
    this.chargeUsed(location.backendName, -location.sizeBytes);
    await this.owe({
      kind: 'object',
      backendName: location.backendName,
      storageKey: location.storageKey,
      objectKey: location.objectKey,
      reason,
      sizeBytes: location.sizeBytes,
    });
  }

  /** The sequencer of this transaction's object change; taken under the key lock. */
  async takeSequencer(): Promise<{ seq: number; sequencer: string }> {
    const [seq] = await this.tx.reserveEventSeqs(1);
    return { seq: seq!, sequencer: sequencerOf(seq!) };
  }

  /**
   * Apply the quota deltas and append the events: `objectEvents` first (the first one takes
   * `sequenced.seq`, each gets `data.sequencer`), then one `cleanup.enqueued` per backend owed.
   */
  async finish(objectEvents: NewEvent[] = [], sequenced?: { seq: number; sequencer: string }): Promise<void> {
    // Quota rows are updated in one global order (by name), so two commits touching the
    // same backends can never lock them in opposite orders and deadlock on Postgres.
    const deltas = [...this.quota].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [backend, d] of deltas) {
      if (d.used !== 0 || d.orphan !== 0) await this.tx.adjustQuota(backend, d.used, d.orphan, this.now);
    }
    const events = objectEvents.map((e) =>
      sequenced ? { ...e, data: { ...e.data, sequencer: sequenced.sequencer } } : e,
    );
    for (const [backend, count] of this.debtCounts) {
      events.push({
        type: 'cleanup.enqueued',
        resource: backend,
        data: { version: CLEANUP_ENQUEUED_VERSION, backend, count },
      });
    }
    const seqs = sequenced ? [sequenced.seq] : [];
    if (events.length > seqs.length) seqs.push(...(await this.tx.reserveEventSeqs(events.length - seqs.length)));
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      await this.tx.insertEvent({
        seq: seqs[i]!,
        id: newId(this.now),
        type: e.type,
        resource: e.resource,
        source: this.source,
        traceparent: e.traceparent ?? this.traceparent(),
        data: e.data,
        createdAt: this.now,
        publishedAt: null,
      });
    }
  }
}

class CoreLedger implements Ledger {
  readonly notifications: CoreNotificationOutbox;
  /** Drains, moves and backend removal (core-drains.ts). */
  readonly drains: CoreDrains;

  constructor(
    private readonly adapter: TxAdapter,
    private readonly source: string,
    private readonly clock: () => number,
    private readonly traceparent: () => string | null,
  ) {
    this.notifications = new CoreNotificationOutbox(adapter, clock);
    this.placement = new CorePlacement(adapter, (fn) => this.inTx(fn));
    this.drains = new CoreDrains(adapter, (fn) => this.inTx(fn));
    this.usage = new CoreUsage(adapter, clock);
  }

  /** The placement rules (core-placement.ts); the Ledger's replication methods delegate to it. */
  private readonly placement: CorePlacement;

  /** Monthly usage totals (core-usage.ts); the Ledger's usage methods delegate to it. */
  private readonly usage: CoreUsage;

  private inTx<T>(fn: (work: TxWork) => Promise<T>): Promise<T> {
    // Taken before the engine runs: a database driver may open spans of its own around the transaction.
    const traceparent = this.traceparent();
    return this.adapter.withTx((tx) => fn(new TxWork(tx, this.clock(), this.source, () => traceparent)));
  }

  // ---------------------------------------------------------------- setup

  async syncBackends(backends: BackendQuotaConfig[]): Promise<void> {
    await this.inTx(async ({ tx, now }) => {
      for (const b of backends) await tx.upsertBackendQuota(b.name, b.quotaBytes, now);
    });
  }

  close(): Promise<void> {
    return this.adapter.close();
  }

  // ---------------------------------------------------------------- write path

  async claim(req: ClaimRequest): Promise<Claim | null> {
    return this.inTx(async ({ tx, now }) => {
      for (const backendName of req.candidates) {
        // Locking the quota row first serialises every claim on this backend (Postgres);
        // the in-flight sum read after it therefore includes every committed claim.
        const balance = await tx.lockBackendQuota(backendName);
        if (!balance) continue;
        if (await tx.isBackendDraining(backendName)) continue;
        if (!hasRoom(balance, await tx.sumInflight(backendName), req.sizeBytes)) continue;
        await tx.insertIntent({
          intentId: req.intentId,
          kind: req.kind,
          objectKey: req.objectKey,
          backendName,
          storageKey: req.storageKey,
          sizeBytes: req.sizeBytes,
          identity: req.identity,
          createdAt: now,
          heartbeatAt: now,
        });
        return { intentId: req.intentId, backendName, storageKey: req.storageKey };
      }
      return null;
    });
  }

  async heartbeat(intentIds: string[]): Promise<void> {
    if (intentIds.length === 0) return;
    await this.inTx(({ tx, now }) => tx.touchIntents(intentIds, now));
  }

  async abandonIntent(intentId: string, reason: string): Promise<void> {
    await this.inTx(async (work) => {
      const intent = await work.tx.takeIntent(intentId);
      if (!intent) return;
      await work.oweIntent(intent, reason);
      await work.finish();
    });
  }

  async dropIntent(intentId: string): Promise<void> {
    await this.inTx(({ tx }) => tx.takeIntent(intentId));
  }

  async commitWrite(req: CommitWriteRequest): Promise<CommitResult> {
    const outcome = await this.inTx(async (work): Promise<CommitResult | 'precondition-failed'> => {
      const intent = await work.tx.takeIntent(req.intentId);
      if (!intent) throw new NoSuchIntentError(req.intentId);
      if (intent.kind !== 'write') {
        throw new TypeError(`intent ${intent.intentId} is a ${intent.kind} intent; only write intents commit as objects`);
      }
      const object = objectRow(intent.objectKey, intent.intentId, req.identity, work.now);
      if (req.ifNoneMatchStar && !(await work.tx.insertObjectIfAbsent(object))) {
        // The key exists: the new copy's bytes are already on the backend and now owed.
        await work.oweIntent(intent, 'precondition_failed');
        await work.finish();
        return 'precondition-failed';
      }
      return commitCopy(work, object, {
        backendName: intent.backendName,
        storageKey: intent.storageKey,
      }, req.ifNoneMatchStar ? 'written' : 'upsert', req.events);
    });
    // Thrown after the transaction committed, so the debt recorded above is kept.
    if (outcome === 'precondition-failed') throw new PreconditionFailedError();
    return outcome;
  }

  async getIntent(intentId: string): Promise<IntentRow | null> {
    return this.adapter.read((q) => q.selectIntent(intentId));
  }

  // ---------------------------------------------------------------- the reaper

  async listStaleIntents(heartbeatBefore: number, after: IntentCursor | null, limit: number): Promise<IntentRow[]> {
    if (limit <= 0) return [];
    return this.adapter.read((q) => q.listStaleIntents(heartbeatBefore, after, limit));
  }

  async promoteIntent(req: PromoteIntentRequest): Promise<PromoteOutcome> {
    return this.inTx(async (work): Promise<PromoteOutcome> => {
      const intent = await work.tx.takeStaleIntent(req.intentId, req.heartbeatBefore);
      if (!intent) return { outcome: 'skipped' };
      if (intent.kind !== 'write') {
        throw new TypeError(`intent ${intent.intentId} is a ${intent.kind} intent; only write intents are promoted`);
      }
      const object = objectRow(intent.objectKey, intent.intentId, req.identity, work.now);
      // The conditional upsert is the key lock and the check in one statement: a newer write
      // that committed (even one racing this transaction) keeps the key.
      if (!(await work.tx.upsertObjectIfNewer(object))) {
        await work.oweIntent(intent, 'superseded');
        await work.finish();
        return { outcome: 'superseded' };
      }
      const commit = await commitCopy(work, object, {
        backendName: intent.backendName,
        storageKey: intent.storageKey,
      }, 'written', req.events);
      return { outcome: 'promoted', commit };
    });
  }

  async reapIntent(req: ReapIntentRequest): Promise<ReapOutcome> {
    return this.inTx(async (work): Promise<ReapOutcome> => {
      const intent = await work.tx.takeStaleIntent(req.intentId, req.heartbeatBefore);
      if (!intent) return 'skipped';
      if (!req.bytesPresent) return 'dropped';
      await work.oweIntent(intent, req.reason);
      await work.finish();
      return 'owed';
    });
  }

  // ---------------------------------------------------------------- reads

  async getObject(objectKey: string): Promise<{ object: ObjectRow; locations: LocationRow[] } | null> {
    return this.adapter.read(async (q) => {
      const object = await q.selectObject(objectKey);
      if (!object) return null;
      return { object, locations: await q.selectLocations(objectKey) };
    });
  }

  async listRange(req: ListRequest): Promise<ListEntry[]> {
    if (req.limit <= 0) return [];
    return this.adapter.read((q) => q.listObjects(req.from, req.to, req.limit));
  }

  async getQuotas(): Promise<QuotaRow[]> {
    return this.adapter.read((q) => q.selectQuotas());
  }

  // ---------------------------------------------------------------- delete

  async deleteObject(objectKey: string, events: CommitEvents<DeleteOutcome>, options: DeleteOptions = {}): Promise<DeleteResult> {
    return this.inTx(async (work) => {
      const object = await work.tx.lockObjectKey(objectKey);
      if (!object) return { existed: false, removed: [], sequencer: null };
      if (options.createdBefore !== undefined && object.createdAt >= options.createdBefore) {
        return { existed: true, removed: [], sequencer: null };
      }
      const removed = await work.tx.deleteLocationsForKey(objectKey);
      for (const location of removed) await work.displace(location, 'deleted');
      await work.tx.deleteObjectRow(objectKey);
      const sequenced = await work.takeSequencer();
      await work.finish(events({ object, removed, sequencer: sequenced.sequencer }), sequenced);
      return { existed: true, removed, sequencer: sequenced.sequencer };
    });
  }

  // ---------------------------------------------------------------- multipart

  async createUpload(req: CreateUploadRequest): Promise<boolean> {
    return this.inTx(async (work) => {
      // A drain refuses new uploads from the moment it starts, like claims.
      if (await work.tx.isBackendDraining(req.backendName)) {
        await work.owe({
          kind: 'multipart_upload', backendName: req.backendName, storageKey: req.storageKey,
          backendUploadId: req.backendUploadId, objectKey: req.objectKey, reason: 'backend draining', sizeBytes: 0,
        });
        await work.finish();
        return false;
      }
      await work.tx.insertUpload({ ...req, createdAt: work.now });
      return true;
    });
  }

  moveCopy(req: MoveCopyRequest): Promise<MoveCopyOutcome> {
    return this.drains.moveCopy(req);
  }

  async getUpload(uploadId: string): Promise<MultipartUploadRow | null> {
    return this.adapter.read((q) => q.selectUpload(uploadId));
  }

  async claimPart(uploadId: string, partNumber: number, sizeBytes: number): Promise<boolean> {
    return this.inTx(async ({ tx, now }) => {
      const upload = await tx.lockUpload(uploadId);
      if (!upload) throw new NoSuchUploadError(uploadId);
      // The upload is pinned: a draining backend still takes its parts (the drain waits for
      // open uploads or their stale sweep); only the quota can refuse a part.
      // A backend without a quota row cannot be locked, so, as in claim, it has no room.
      const balance = await tx.lockBackendQuota(upload.backendName);
      if (!balance) return false;
      const replaced = await tx.selectPart(uploadId, partNumber);
      const inflight = (await tx.sumInflight(upload.backendName)) - (replaced?.sizeBytes ?? 0);
      if (!hasRoom(balance, inflight, sizeBytes)) return false;
      await tx.upsertPart({ uploadId, partNumber, etag: null, backendEtag: null, sizeBytes, createdAt: now });
      return true;
    });
  }

  async recordPart(uploadId: string, partNumber: number, etag: string, backendEtag: string, sizeBytes: number): Promise<void> {
    await this.inTx(async ({ tx, now }) => {
      if (!(await tx.lockUpload(uploadId))) throw new NoSuchUploadError(uploadId);
      await tx.upsertPart({ uploadId, partNumber, etag: normaliseEtag(etag), backendEtag, sizeBytes, createdAt: now });
    });
  }

  async releasePart(uploadId: string, partNumber: number): Promise<void> {
    await this.inTx(({ tx }) => tx.deletePart(uploadId, partNumber));
  }

  async listParts(uploadId: string): Promise<MultipartPartRow[]> {
    return this.adapter.read((q) => q.selectParts(uploadId));
  }

  async listUploads(req: ListRequest & { afterUploadId?: string | null }): Promise<MultipartUploadRow[]> {
    if (req.limit <= 0) return [];
    return this.adapter.read((q) => q.listUploads(req.from, req.to, req.afterUploadId ?? null, req.limit));
  }

  async completeMultipart(req: CompleteMultipartRequest): Promise<CompleteMultipartResult> {
    if (req.parts.length === 0) throw new RangeError('completeMultipart needs at least one part');
    for (let i = 1; i < req.parts.length; i++) {
      if (req.parts[i]!.partNumber <= req.parts[i - 1]!.partNumber) throw new InvalidPartOrderError();
    }
    return this.inTx(async (work): Promise<CompleteMultipartResult> => {
      const { tx } = work;
      const upload = await tx.lockUpload(req.uploadId);
      if (!upload || upload.objectKey !== req.objectKey) {
        const current = await tx.lockObjectKey(req.objectKey);
        if (!upload && current && current.writeId === req.uploadId) {
          return { repeated: true, object: current, copies: await tx.selectLocations(req.objectKey), displaced: [], sequencer: null };
        }
        throw new NoSuchUploadError(req.uploadId);
      }
      const recorded = new Map((await tx.selectParts(req.uploadId)).map((p) => [p.partNumber, p]));
      let size = 0;
      for (const named of req.parts) {
        const part = recorded.get(named.partNumber);
        if (!part || part.etag === null) throw new InvalidPartError(named.partNumber, 'was not uploaded');
        if (part.etag !== normaliseEtag(named.etag)) throw new InvalidPartError(named.partNumber, 'has a different ETag');
        size += part.sizeBytes;
      }
      // Every reservation of the upload ends here: named parts become the object's bytes,
      // the others were discarded by the backend's Complete.
      await tx.deleteParts(req.uploadId);
      await tx.deleteUpload(req.uploadId);
      const identity = { ...upload.identity, size, etag: req.finalEtag };
      const object = objectRow(upload.objectKey, upload.uploadId, identity, work.now);
      const result = await commitCopy(work, object, {
        backendName: upload.backendName,
        storageKey: upload.storageKey,
      }, 'upsert', req.events);
      return { ...result, repeated: false };
    });
  }

  async abortMultipart(uploadId: string, reason: string): Promise<boolean> {
    return this.inTx(async (work) => {
      const upload = await work.tx.lockUpload(uploadId);
      if (!upload) return false;
      const parts = await work.tx.selectParts(uploadId);
      await work.tx.deleteParts(uploadId);
      await work.tx.deleteUpload(uploadId);
      await work.owe({
        kind: 'multipart_upload',
        backendName: upload.backendName,
        storageKey: upload.storageKey,
        backendUploadId: upload.backendUploadId,
        objectKey: upload.objectKey,
        reason,
        sizeBytes: parts.reduce((sum, p) => sum + p.sizeBytes, 0),
      });
      await work.finish();
      return true;
    });
  }

  async listStaleUploads(before: number, limit: number): Promise<MultipartUploadRow[]> {
    if (limit <= 0) return [];
    return this.adapter.read((q) => q.listStaleUploads(before, limit));
  }

  // ---------------------------------------------------------------- cleanup

  async enqueueCleanup(debts: CleanupDebt[]): Promise<void> {
    if (debts.length === 0) return;
    await this.inTx(async (work) => {
      for (const debt of debts) await work.owe(debt);
      await work.finish();
    });
  }

  async claimCleanup(limit: number, now: number, leaseMs: number): Promise<CleanupRow[]> {
    if (limit <= 0) return [];
    return this.inTx(({ tx }) => tx.claimDueCleanup(now, now + leaseMs, limit));
  }

  async completeCleanup(id: number): Promise<void> {
    await this.inTx(async (work) => {
      // Taking the row first makes a repeated completion a no-op: orphan bytes are released once.
      const row = await work.tx.takeCleanup(id);
      if (!row) return;
      const { tx, now } = work;
      await tx.adjustQuota(row.backendName, 0, -row.sizeBytes, now);
    });
  }

  async failCleanup(id: number, error: string, nextRetry: number): Promise<void> {
    await this.inTx(({ tx }) => tx.recordCleanupFailure(id, error, nextRetry));
  }

  async deadLetterCleanup(id: number, lastError: string, events: NewEvent[]): Promise<void> {
    await this.inTx(async (work) => {
      const row = await work.tx.takeCleanup(id);
      if (!row) return;
      await work.tx.insertCleanupDeadLetter({ ...row, attempts: row.attempts + 1, lastError }, work.now);
      await work.finish(events);
    });
  }

  async copiesByBackend(): Promise<Array<{ backendName: string; copies: number }>> {
    return this.adapter.read((q) => q.countCopiesByBackend());
  }

  async cleanupDepth(): Promise<number> {
    return this.adapter.read((q) => q.countCleanup());
  }

  async listCleanup(afterId: number | null, limit: number): Promise<CleanupRow[]> {
    if (limit <= 0) return [];
    return this.adapter.read((q) => q.listCleanup(afterId, limit));
  }

  async listDeadLetters(afterId: number | null, limit: number): Promise<DeadLetterRow[]> {
    if (limit <= 0) return [];
    return this.adapter.read((q) => q.listDeadLetters(afterId, limit));
  }

  async deadLetterDepth(): Promise<number> {
    return this.adapter.read((q) => q.countDeadLetters());
  }

  async requeueDeadLetters(ids: number[] | null): Promise<number> {
    const requeueBatch = (batch: number[] | null): Promise<number> =>
      this.inTx(async (work) => {
        const rows = await work.tx.takeDeadLetters(batch, REQUEUE_BATCH);
        for (const row of rows) await work.requeue(row);
        await work.finish();
        return rows.length;
      });
    let moved = 0;
    if (ids === null) {
      for (;;) {
        const n = await requeueBatch(null);
        moved += n;
        if (n < REQUEUE_BATCH) return moved;
      }
    }
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += REQUEUE_BATCH) moved += await requeueBatch(unique.slice(i, i + REQUEUE_BATCH));
    return moved;
  }

  async discardDeadLetters(ids: number[]): Promise<number> {
    const unique = [...new Set(ids)];
    let discarded = 0;
    for (let i = 0; i < unique.length; i += REQUEUE_BATCH) {
      discarded += await this.inTx(async (work) => {
        const rows = await work.tx.takeDeadLetters(unique.slice(i, i + REQUEUE_BATCH), REQUEUE_BATCH);
        // The operator settled these bytes outside the orchestrator: they are no longer owed.
        for (const row of rows) work.releaseOrphan(row.backendName, row.sizeBytes);
        await work.finish();
        return rows.length;
      });
    }
    return discarded;
  }

  // ---------------------------------------------------------------- verify

  async listHoldings(req: HoldingsRequest): Promise<BackendHolding[]> {
    if (req.limit <= 0) return [];
    const readPage = HOLDING_READERS[req.kind];
    return this.adapter.read((q) => readPage(q, req.backendName, { after: req.after, limit: req.limit }));
  }

  async findHoldings(backendName: string, storageKey: string): Promise<BackendHolding[]> {
    // Storage keys are unique per write; a few records at most share one (e.g. a debt owed twice).
    const page: HoldingPage = { after: null, limit: 100, storageKey };
    return this.adapter.read(async (q) => {
      const found: BackendHolding[] = [];
      for (const readPage of Object.values(HOLDING_READERS)) found.push(...(await readPage(q, backendName, page)));
      return found;
    });
  }

  // ---------------------------------------------------------------- reconcile / sync (core-import.ts)

  async importObjects(reqs: ImportObjectRequest[]): Promise<ImportOutcome[]> {
    if (reqs.length === 0) return [];
    // One transaction for the batch (one commit instead of one per object); each object is
    // its own unit of work, with its own quota delta, sequencer and events.
    const traceparent = this.traceparent();
    return this.adapter.withTx((tx) => {
      const now = this.clock();
      return importBatch(tx, reqs, () => new TxWork(tx, now, this.source, () => traceparent));
    });
  }

  async listLostObjects(after: string | null, limit: number): Promise<LostObject[]> {
    if (limit <= 0) return [];
    return this.adapter.read((q) => listLostObjects(q, after, limit));
  }

  async countLostObjects(): Promise<number> {
    return this.adapter.read((q) => q.countLostObjects());
  }

  // ---------------------------------------------------------------- events

  async appendEvents(events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.inTx((work) => work.finish(events));
  }

  async readEventsAfter(seq: number, limit: number): Promise<StoredEvent[]> {
    if (limit <= 0) return [];
    const rows = await this.adapter.read((q) => q.selectEventsAfter(seq, limit));
    return rows.map(storedEvent);
  }

  async latestEventSeq(): Promise<number> {
    return this.adapter.read((q) => q.selectLatestEventSeq());
  }

  async relayEvents(limit: number, publish: (events: StoredEvent[]) => Promise<void>): Promise<number> {
    return this.inTx(async ({ tx, now }) => {
      const rows = await tx.lockUnpublishedEvents(limit);
      if (rows.length === 0) return 0;
      await publish(rows.map(storedEvent));
      await tx.markEventsPublished(rows.map((r) => r.seq), now);
      return rows.length;
    });
  }

  async markProcessed(consumer: string, eventId: string): Promise<boolean> {
    return this.inTx(({ tx, now }) => tx.insertProcessedEvent(consumer, eventId, now));
  }

  async getConsumerOffset(consumer: string): Promise<number> {
    return (await this.adapter.read((q) => q.selectConsumerOffset(consumer))) ?? 0;
  }

  async setConsumerOffset(consumer: string, seq: number): Promise<void> {
    await this.inTx(({ tx, now }) => tx.upsertConsumerOffset(consumer, seq, now));
  }

  async recordDeadEvent(consumer: string, eventId: string, attempts: number, lastError: string): Promise<void> {
    await this.inTx(({ tx, now }) => tx.upsertDeadEvent(consumer, eventId, attempts, lastError, now));
  }

  // ---------------------------------------------------------------- placement (core-placement.ts)

  commitReplica(req: CommitReplicaRequest): Promise<CommitReplicaOutcome> {
    return this.placement.commitReplica(req);
  }

  markCopyMissing(objectKey: string, backendName: string, storageKey: string): Promise<boolean> {
    return this.placement.markCopyMissing(objectKey, backendName, storageKey);
  }

  listUnderReplicated(req: UnderReplicatedRequest): Promise<ReplicationCandidate[]> {
    return this.placement.listUnderReplicated(req);
  }

  listOverReplicated(req: ReplicationPageRequest): Promise<ReplicationCandidate[]> {
    return this.placement.listOverReplicated(req);
  }

  dropCopies(req: DropCopiesRequest): Promise<LocationRow[]> {
    return this.placement.dropCopies(req);
  }

  // ---------------------------------------------------------------- usage (core-usage.ts)

  applyUsageDelta(consumer: string, eventId: string, delta: UsageDelta): Promise<UsageFoldResult> {
    return this.usage.applyUsageDelta(consumer, eventId, delta);
  }

  listUsage(period: string | null): Promise<UsageRow[]> {
    return this.usage.listUsage(period);
  }

  tryLeaderLock(name: string): Promise<LeaderLock | null> {
    return this.adapter.tryLeaderLock(name);
  }
}

function storedEvent(r: EventRow): StoredEvent {
  return {
    seq: r.seq,
    id: r.id,
    type: r.type,
    time: new Date(r.createdAt).toISOString(),
    resource: r.resource,
    source: r.source,
    traceparent: r.traceparent,
    data: r.data,
    sequencer: sequencerOf(r.seq),
    publishedAt: r.publishedAt,
  };
}

/** The objects row a write makes, in the shape reads return it (absent optionals as null / omitted). */
export function objectRow(objectKey: string, writeId: string, identity: ObjectIdentity, now: number): ObjectRow {
  const headers: StandardHeaders = {};
  for (const [name, value] of Object.entries(identity.headers) as Array<[keyof StandardHeaders, string | undefined]>) {
    if (value !== undefined) headers[name] = value;
  }
  return {
    objectKey,
    writeId,
    size: identity.size,
    etag: identity.etag,
    contentType: identity.contentType,
    userMetadata: identity.userMetadata,
    headers,
    contentHash: identity.contentHash ?? null,
    createdAt: now,
  };
}

/** The bytes an intent may have written, as a debt. */
function debtForIntent(intent: IntentRow, reason: string): CleanupDebt {
  return {
    kind: 'object',
    backendName: intent.backendName,
    storageKey: intent.storageKey,
    objectKey: intent.objectKey,
    reason,
    sizeBytes: intent.sizeBytes,
  };
}

/**
 * Make `object` the key's live object with one copy at `copy`: lock the key (upsert, or the
 * caller already wrote the row — If-None-Match's insert, the reaper's conditional upsert),
 * turn the copies of other writes into debts, insert the new copy, charge its bytes and
 * append the events with the commit's sequencer.
 */
async function commitCopy(
  work: TxWork,
  object: ObjectRow,
  copy: { backendName: string; storageKey: string },
  keyLock: 'upsert' | 'written',
  events: CommitEvents<CommitResult>,
): Promise<CommitResult> {
  const { tx } = work;
  if (keyLock === 'upsert') await tx.upsertObjectForWrite(object);
  const displaced = await tx.deleteLocationsOfOtherWrites(object.objectKey, object.writeId);
  for (const location of displaced) await work.displace(location, 'overwritten');
  const location = await work.addCopy(object, copy.backendName, copy.storageKey);
  const sequenced = await work.takeSequencer();
  const result: CommitResult = { object, copies: [location], displaced, sequencer: sequenced.sequencer };
  await work.finish(events(result), sequenced);
  return result;
}
