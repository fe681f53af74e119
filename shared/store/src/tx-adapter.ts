// The boundary between the business rules (core/) and an engine (SQLite or Postgres). An
// adapter offers named, typed statements — each one SQL statement or a tiny fixed group —
// and knows nothing of quotas, debts or events. Core composes them inside `withTx`.
//
// Every method is async so an engine with network round trips (pg) implements the same
// interface. Names that start with `lock` or `take` are the ones that must serialise
// concurrent transactions on Postgres (`SELECT … FOR UPDATE`, `DELETE … RETURNING`);
// SQLite's single writer serialises them by construction.
import type {
  BackendHolding, CleanupDebt, CleanupRow, DeadLetterRow, HoldingCursor, IntentCursor, IntentRow, ListEntry, LocationRow,
  MultipartPartRow, MultipartUploadRow, ObjectRow, QuotaRow,
} from './types.js';
import type { NotificationReadStatements, NotificationTxStatements } from './notifications.js';
import type { PlacementReads, PlacementWrites } from './placement-statements.js';
import type { ReconcileReads } from './reconcile-types.js';
import type { UsageReads, UsageWrites } from './usage.js';
import type { DrainReads, DrainWrites } from './drain-statements.js';
import type { IdentityReads, IdentityWrites } from './identity-statements.js';
import type { FleetReads, FleetWrites } from './fleet.js';
import type { EncryptionReads, EncryptionWrites } from './encryption-statements.js';

/** Counts an operator reads in `GET /admin/api/status`, from one snapshot. */
export interface OperatorFigures {
  objects: number;
  /** objects with fewer ok copies than the replication factor: the replication backlog */
  underReplicated: number;
  /** objects with more ok copies than the replication factor: what the over-replication sweep trims */
  overReplicated: number;
  openIntents: number;
  openUploads: number;
}

/**
 * What a claim decides on, read in one statement (one snapshot) after lockBackendQuota: the
 * limit, the bytes charged (on Postgres the sums of the backend's quota stripes), the bytes
 * in flight (open intents plus reserved multipart parts) and whether the backend is draining.
 */
export interface QuotaBalance {
  bytesLimit: number;
  bytesUsed: number;
  orphanBytes: number;
  inflight: number;
  draining: boolean;
}

/** One event_log row as stored. `seq` comes from reserveEventSeqs. */
export interface EventRow {
  seq: number;
  id: string;
  type: string;
  resource: string;
  source: string;
  traceparent: string | null;
  data: Record<string, unknown>;
  createdAt: number;
  publishedAt: number | null;
}

/**
 * A page of one backend's holdings of one kind, by (storage key, row id): strictly after
 * `after` when given, only the records of `storageKey` when given.
 */
export interface HoldingPage {
  after: HoldingCursor | null;
  limit: number;
  storageKey?: string;
}

/** Statements that only read; usable outside a transaction (a read-only connection or the pool). */
export interface ReadStatements extends FleetReads, ReconcileReads, PlacementReads, NotificationReadStatements, UsageReads, DrainReads,
  IdentityReads, EncryptionReads {
  selectObject(objectKey: string): Promise<ObjectRow | null>;
  selectLocations(objectKey: string): Promise<LocationRow[]>;
  /**
   * The object with its copies (ordered as selectLocations orders them) in one statement: a
   * read of one round trip on Postgres (readStatement), where the pair above needs a snapshot
   * of four (docs/architecture.md, "TxAdapter boundary").
   */
  selectObjectWithLocations(objectKey: string): Promise<{ object: ObjectRow; locations: LocationRow[] } | null>;
  /** Keys in byte order, `from` <= key (< `to` when not null). */
  listObjects(from: string, to: string | null, limit: number): Promise<ListEntry[]>;
  selectIntent(intentId: string): Promise<IntentRow | null>;
  /** Every backend_quotas row with its in-flight bytes, by name. */
  selectQuotas(): Promise<QuotaRow[]>;
  selectUpload(uploadId: string): Promise<MultipartUploadRow | null>;
  /** By part number. */
  selectParts(uploadId: string): Promise<MultipartPartRow[]>;
  /** By (objectKey, uploadId); see Ledger.listUploads for `afterUploadId`. */
  listUploads(from: string, to: string | null, afterUploadId: string | null, limit: number): Promise<MultipartUploadRow[]>;
  countCleanup(): Promise<number>;
  /** ok copies per backend that holds any, by name (monitoring). */
  countCopiesByBackend(): Promise<Array<{ backendName: string; copies: number }>>;
  /** The operator's counts (admin status): objects, objects short of `factor` ok copies, open intents and uploads. */
  countOperatorFigures(factor: number): Promise<OperatorFigures>;
  /** Intents whose heartbeat is older than `heartbeatBefore`, by (heartbeat, intent id), after `after`. */
  listStaleIntents(heartbeatBefore: number, after: IntentCursor | null, limit: number): Promise<IntentRow[]>;
  /** Uploads created before `before` with no part reserved or recorded since, oldest first. */
  listStaleUploads(before: number, limit: number): Promise<MultipartUploadRow[]>;
  /** cleanup_queue rows by id, after `afterId`. */
  listCleanup(afterId: number | null, limit: number): Promise<CleanupRow[]>;
  /** cleanup_dlq rows by id, after `afterId`. */
  listDeadLetters(afterId: number | null, limit: number): Promise<DeadLetterRow[]>;
  countDeadLetters(): Promise<number>;
  // One backend's holdings of each kind (see HoldingPage); row ids as in BackendHolding.
  listLocationHoldings(backendName: string, page: HoldingPage): Promise<BackendHolding[]>;
  listIntentHoldings(backendName: string, page: HoldingPage): Promise<BackendHolding[]>;
  listCleanupHoldings(backendName: string, page: HoldingPage): Promise<BackendHolding[]>;
  listDeadLetterHoldings(backendName: string, page: HoldingPage): Promise<BackendHolding[]>;
  listUploadHoldings(backendName: string, page: HoldingPage): Promise<BackendHolding[]>;
  /** Rows with seq > `afterSeq`, by seq. */
  selectEventsAfter(afterSeq: number, limit: number): Promise<EventRow[]>;
  /** The newest event's seq; 0 when there is none. */
  selectLatestEventSeq(): Promise<number>;
  /** null when the consumer has no offset yet. */
  selectConsumerOffset(consumer: string): Promise<number | null>;
}

/** Statements usable inside `withTx`. */
export interface TxStatements extends ReadStatements, FleetWrites, PlacementWrites, NotificationTxStatements, UsageWrites, DrainWrites,
  IdentityWrites, EncryptionWrites {
  // ---- backend_quotas / backend_drains ----
  /** Insert the row (used = orphan = 0) or update its limit. */
  upsertBackendQuota(backendName: string, bytesLimit: number, now: number): Promise<void>;
  /**
   * Lock the backend's quota row for the rest of the transaction: claims, drains, imports and
   * removals on one backend take it in turn (commits do not). False when the backend is unknown.
   */
  lockBackendQuota(backendName: string): Promise<boolean>;
  /**
   * A claim's lock on a backend without a quota (limit 0): the quota row locked in share mode,
   * so claims on it do not wait for each other — there is no balance to keep — while a drain,
   * import or removal (lockBackendQuota) still waits for them and they for it. False, with
   * nothing locked, when the backend is unknown or has a limit (the claim then takes
   * lockBackendQuota). Read isBackendDraining after it: on Postgres that statement's snapshot
   * is taken after the wait.
   */
  lockUnlimitedQuota(backendName: string): Promise<boolean>;
  /**
   * The balance a claim decides on, in one statement: read after lockBackendQuota, so on
   * Postgres (READ COMMITTED) its snapshot is taken after the wait. Null when the backend is unknown.
   */
  quotaBalance(backendName: string): Promise<QuotaBalance | null>;
  /** Draining, or drained and not yet returned to service: the backend takes no new data. */
  isBackendDraining(backendName: string): Promise<boolean>;
  /**
   * Add the deltas (may be negative) to the backend's charged bytes. On Postgres they go to
   * one of the backend's quota stripes, picked per call, so concurrent commits rarely meet on
   * a row and none waits for the quota row lock that claims take.
   */
  adjustQuota(backendName: string, usedDelta: number, orphanDelta: number, now: number): Promise<void>;

  // ---- pending_objects ----
  insertIntent(row: IntentRow): Promise<void>;
  /**
   * A claim's check and its intent in one statement, run after the claim's lock
   * (lockUnlimitedQuota, then rule 'not-draining'; lockBackendQuota, then 'room'), so on
   * Postgres it reads the backend as of after the wait: `row` is inserted unless the backend is
   * draining and, under 'room', unless its balance — limit − used − orphan − in flight, the
   * rule of `hasRoom` (core/commit.ts); no limit is always room — is short of row.sizeBytes.
   * One round trip where the check and the insert were two. `bytesLimit`: the limit read under
   * 'room' (null when the backend is unknown); 0 under 'not-draining', which only a backend
   * without a limit takes.
   */
  admitIntent(row: IntentRow, rule: 'not-draining' | 'room'): Promise<{ admitted: boolean; bytesLimit: number | null }>;
  /** Delete the intent and return it; null when it is gone. The one way to end an intent. */
  takeIntent(intentId: string): Promise<IntentRow | null>;
  touchIntents(intentIds: string[], now: number): Promise<void>;
  /**
   * Delete the intent and return it only while its heartbeat is older than `heartbeatBefore`
   * (the reaper's take: a write that heartbeated meanwhile is alive and keeps its intent).
   */
  takeStaleIntent(intentId: string, heartbeatBefore: number): Promise<IntentRow | null>;

  // ---- objects / object_locations ----
  /** The key's row, locked; null when absent (Postgres then locks nothing — see upsertObjectForWrite). */
  lockObjectKey(objectKey: string): Promise<ObjectRow | null>;
  /** Insert the row unless the key exists (a concurrent inserter is waited for); true when inserted. */
  insertObjectIfAbsent(row: ObjectRow): Promise<boolean>;
  /** Insert or overwrite the key's row, leaving it locked: the per-key lock of a write. */
  upsertObjectForWrite(row: ObjectRow): Promise<void>;
  /**
   * Like upsertObjectForWrite, but an existing row is overwritten only when its write_id sorts
   * before the new one (ids are time-sortable: the existing object is older). False when the
   * key holds a newer write, which is left as it is.
   */
  upsertObjectIfNewer(row: ObjectRow): Promise<boolean>;
  deleteObjectRow(objectKey: string): Promise<void>;
  /** Replace the key's tag set (the row must be locked by the caller). */
  updateObjectTags(objectKey: string, tags: Record<string, string>): Promise<void>;
  insertLocation(row: LocationRow): Promise<void>;
  /** Delete every copy of the key; returns them. */
  deleteLocationsForKey(objectKey: string): Promise<LocationRow[]>;
  /** Delete the key's copies whose write_id differs from `writeId`; returns them. */
  deleteLocationsOfOtherWrites(objectKey: string, writeId: string): Promise<LocationRow[]>;

  // ---- multipart_uploads / multipart_parts ----
  insertUpload(row: MultipartUploadRow): Promise<void>;
  /**
   * The open uploads of keys in [from, to), counted under a lock on that range that is held
   * to the end of the transaction, so a count and the insert it allows are one step for
   * every transaction that takes the same range's lock (buckets[].max_multipart_uploads).
   */
  countUploadsLocked(from: string, to: string): Promise<number>;
  /** The upload, locked; null when it does not exist. */
  lockUpload(uploadId: string): Promise<MultipartUploadRow | null>;
  deleteUpload(uploadId: string): Promise<void>;
  selectPart(uploadId: string, partNumber: number): Promise<MultipartPartRow | null>;
  /** Insert the part or replace the row with the same (upload, part number). */
  upsertPart(row: MultipartPartRow): Promise<void>;
  deletePart(uploadId: string, partNumber: number): Promise<void>;
  deleteParts(uploadId: string): Promise<void>;

  // ---- cleanup_queue / cleanup_dlq ----
  /** Returns the new row's id; attempts 0, due at `now`. */
  insertCleanup(debt: CleanupDebt, now: number): Promise<number>;
  /**
   * Lease up to `limit` rows with next_retry <= now whose lease is unset or expired (Postgres:
   * SKIP LOCKED): sets claimed_until. Returns them by (next_retry, id).
   */
  claimDueCleanup(now: number, claimedUntil: number, limit: number): Promise<CleanupRow[]>;
  /** Delete the row and return it; null when it is gone. */
  takeCleanup(id: number): Promise<CleanupRow | null>;
  /** attempts + 1, last_error, next_retry, lease cleared; false when the row is gone. */
  recordCleanupFailure(id: number, error: string, nextRetry: number): Promise<boolean>;
  /**
   * An in-doubt debt's bytes were deleted once: in_doubt cleared, `note` as last_error, due
   * again at `nextRetry` (the confirming DELETE), lease cleared; attempts unchanged.
   */
  clearCleanupDoubt(id: number, note: string, nextRetry: number): Promise<boolean>;
  insertCleanupDeadLetter(row: CleanupRow, now: number): Promise<void>;
  /** Delete and return up to `limit` DLQ rows, by id: those of `ids`, or any when `ids` is null. */
  takeDeadLetters(ids: number[] | null, limit: number): Promise<DeadLetterRow[]>;
  /** Put a debt back in the queue under its own id: attempts 0, due at `now`, no lease. */
  reinsertCleanup(row: DeadLetterRow, now: number): Promise<void>;

  // ---- event_log / consumer_offsets / dead_events ----
  /** `count` new, strictly increasing seq values (never reused, even after pruning). */
  reserveEventSeqs(count: number): Promise<number[]>;
  insertEvent(row: EventRow): Promise<void>;
  upsertConsumerOffset(consumer: string, lastSeq: number, now: number): Promise<void>;
  /**
   * The oldest unpublished events, locked for this transaction (Postgres: FOR UPDATE SKIP
   * LOCKED, so concurrent relays take disjoint rows).
   */
  lockUnpublishedEvents(limit: number): Promise<EventRow[]>;
  markEventsPublished(seqs: number[], now: number): Promise<void>;
  /** Record that `consumer` applied `eventId`; false when it already had (a redelivery). */
  insertProcessedEvent(consumer: string, eventId: string, now: number): Promise<boolean>;
  /** Insert or overwrite (consumer, event_id). */
  upsertDeadEvent(consumer: string, eventId: string, attempts: number, lastError: string, now: number): Promise<void>;
  /**
   * Delete up to `limit` event_log rows no consumer can be handed again (EventLogLedger.pruneEventLog
   * says which); the number deleted.
   */
  deleteSettledEvents(before: number, unpublishedToo: boolean, limit: number): Promise<number>;
  /** Delete up to `limit` processed_events rows older than `before` whose event left event_log. */
  deleteSettledProcessedEvents(before: number, limit: number): Promise<number>;
}

export interface LeaderLock {
  release(): Promise<void>;
  /**
   * Aborted when the leadership ends without release() — on Postgres, when the connection
   * holding the advisory lock dies — so a sweep in progress can stop. Engines whose
   * leadership cannot be lost (SQLite's process mutex) leave it out.
   */
  readonly lost?: AbortSignal;
}

export interface TxAdapter {
  /**
   * Run `fn` in one transaction: commit when it resolves, roll back when it throws. `fn` may
   * only await the statements it is given (no other I/O): the transaction holds the writer.
   * The statements refuse to run once `fn` has settled.
   */
  withTx<T>(fn: (tx: TxStatements) => Promise<T>): Promise<T>;
  /** Run reads outside a transaction, from one consistent snapshot. */
  read<T>(fn: (q: ReadStatements) => Promise<T>): Promise<T>;
  /**
   * Run a read of exactly one statement. Postgres runs it on a pooled connection without a
   * transaction — one statement sees one snapshot by itself — so it costs one round trip
   * instead of three (START TRANSACTION, the statement, COMMIT); a second statement throws.
   * SQLite runs it as `read`.
   */
  readStatement<T>(fn: (q: ReadStatements) => Promise<T>): Promise<T>;
  /** Leadership for a periodic sweep; null when another holder has it. */
  tryLeaderLock(name: string): Promise<LeaderLock | null>;
  close(): Promise<void>;
}
