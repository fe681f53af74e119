// The Ledger: the business operations every service calls, implemented once (core/) on top
// of a TxAdapter, so the same rules hold on SQLite and Postgres.
//
// The operations come in roles — narrow interfaces by operation family, like the writes of
// the gateway or the queue work of the cleanup service. A service declares the roles it
// uses; `Ledger`, the union of them all, is for the composition roots that open the ledger
// and hand it out.
//
// Every operation that records cleanup debts also appends, in the same transaction, one
// `cleanup.enqueued` event per backend owed to wake the cleanup workers; callers never append
// those themselves. After every transaction that appended events has committed, the ledger
// tells `eventsAppended`'s listeners (the event buses of the process), so consumers look at
// once instead of at their next poll; callers never wake the bus themselves.
import type {
  BackendHolding, CleanupDebt, CleanupRow, Claim, CommitEvents, CommitResult, CompleteMultipartResult, DeadLetterRow,
  DeleteOutcome, HoldingCursor, HoldingKind, IntentCursor, IntentRow, ListEntry, LocationRow, MultipartPartRow,
  MultipartUploadRow, NewEvent, ObjectIdentity, ObjectRow, PromoteOutcome, QuotaRow, ReapOutcome, StoredChecksum, StoredEvent,
} from './types.js';
import type { LeaderLock, OperatorFigures } from './tx-adapter.js';
import type { MissingCopyLedger, PlacementLedger, ScrubLedger } from './placement-types.js';
import type { EncryptedObjectRow, StoredFormRow } from './encryption-statements.js';
import type { ImportLedger, LostObjectLedger, RebuildLedger } from './reconcile-types.js';
import type { NotificationLedger } from './notifications.js';
import type { UsageLedger } from './usage.js';
import type { DrainLedger } from './drain-types.js';
import type { IdentityLedger } from './identity-types.js';
import type { FleetLedger } from './fleet.js';

export interface BackendQuotaConfig {
  name: string;
  /** 0 = unlimited */
  quotaBytes: number;
}

export interface ClaimRequest {
  /** fresh time-sortable id; becomes write_id on commit */
  intentId: string;
  kind: 'write' | 'replica' | 'move';
  objectKey: string;
  storageKey: string;
  sizeBytes: number;
  /** Backends to try, best first. The first one with room (and not draining) is claimed. */
  candidates: string[];
  identity: ObjectIdentity | null;
}

export interface CommitWriteRequest {
  intentId: string;
  /**
   * Final identity (etag etc. are known only after the bytes went through). `size` is the
   * copy's size as written: what bytes_used is charged with.
   */
  identity: ObjectIdentity;
  /** `If-None-Match: *`: fail with PreconditionFailedError if the key exists; the new bytes become a debt. */
  ifNoneMatchStar?: boolean;
  /**
   * `If-Match`, checked against the object the request began with: commit only while that
   * write (this write_id) is still the key's; otherwise ConditionalConflictError, the new bytes a debt.
   */
  ifWriteId?: string;
  /** Events to append in the same transaction (object.created etc.). `sequencer` is added by the store. */
  events: CommitEvents<CommitResult>;
}

export interface DeleteResult {
  /** the key had an object */
  existed: boolean;
  removed: LocationRow[];
  /** null when nothing was deleted: the key is absent, or its object is not older than `createdBefore` */
  sequencer: string | null;
}

export interface DeleteOptions {
  /**
   * Delete only an object created before this time (epoch ms), checked under the key lock —
   * lifecycle expiry must not remove a fresh write that replaced the expired one meanwhile.
   */
  createdBefore?: number;
  /** Delete only an object that carries every one of these tags, checked under the key lock too. */
  tags?: Record<string, string>;
  /**
   * Copies (by storage key) whose delete marker went to another backend than theirs, and which:
   * their debts name it (`markerBackend`), so cleanup deletes it there.
   */
  markersElsewhere?: ReadonlyMap<string, string>;
}

/** The reaper's decision for a `write` intent whose bytes are complete on the backend. */
export interface PromoteIntentRequest {
  intentId: string;
  /** act only while the intent's heartbeat is older than this (epoch ms); a live write is skipped */
  heartbeatBefore: number;
  /** the identity to commit (etag etc. as found on the backend); `size` is what bytes_used is charged */
  identity: ObjectIdentity;
  /** Events to append in the same transaction (object.created); `sequencer` is added by the store. */
  events: CommitEvents<CommitResult>;
}

/**
 * The reaper's decision for an intent that is not promoted: its storage key becomes a debt,
 * whatever a look at the backend found there — a request of the intent's writer may still
 * land after the look, so an intent is never simply forgotten.
 */
export interface ReapIntentRequest {
  intentId: string;
  /** act only while the intent's heartbeat is older than this (epoch ms) */
  heartbeatBefore: number;
  /** the debt's reason */
  reason: string;
}

export interface HoldingsRequest {
  backendName: string;
  kind: HoldingKind;
  /** resume strictly after this record (the last one of the previous page); null = from the start */
  after: HoldingCursor | null;
  limit: number;
}

export interface ListRequest {
  /** only keys >= `from` (inclusive) ... */
  from: string;
  /** ... and < `to` (exclusive); null = no upper bound */
  to: string | null;
  limit: number;
}

export interface CreateUploadRequest {
  uploadId: string;
  objectKey: string;
  backendName: string;
  backendUploadId: string;
  storageKey: string;
  identity: MultipartUploadRow['identity'];
  /**
   * At most `limit` open uploads of keys in [from, to) (a bucket's), this one included —
   * counted and inserted in one step; over it, the backend's upload is owed and
   * TooManyUploadsError thrown.
   */
  maxOpenUploads?: { from: string; to: string; limit: number };
}

export interface CompleteMultipartRequest {
  uploadId: string;
  /** internal key the client completes; an upload of another key is NoSuchUpload */
  objectKey: string;
  /** the parts the client named, ascending; each must be recorded with this etag (quotes ignored) */
  parts: Array<{ partNumber: number; etag: string }>;
  /**
   * `hex(md5(concat(binary part md5s)))-N`; the size is the sum of the named parts' recorded
   * sizes. An unencrypted object whose named parts all have a recorded SHA-256 gets them as its
   * part hashes and their composite as its content hash.
   */
  finalEtag: string;
  /**
   * An encrypted upload: the object's envelope header with its part layout (the upload's
   * header names the data key only). The object's stored size is then the sum of the parts'
   * stored bytes and its size the sum of their plaintext sizes.
   */
  encryption?: string;
  /** The object's checksum, derived by the caller from the named parts' (the upload's algorithm); absent = none. */
  checksum?: StoredChecksum;
  /**
   * Conditions decided under the key lock, as for commitWrite. The backend already completed
   * the upload, so a failed one ends the upload: its rows go and its object becomes a debt.
   */
  ifNoneMatchStar?: boolean;
  ifWriteId?: string;
  /** Events to append in the same transaction; `sequencer` is added by the store. */
  events: CommitEvents<CommitResult>;
}

/** Space claims and the intents that hold them while bytes travel (writes, replicas, moves). */
export interface IntentLedger {
  /** Serialized per backend: first candidate with `limit - used - orphan - inflight >= size` (and no drain) gets the intent. */
  claim(req: ClaimRequest): Promise<Claim | null>;
  heartbeat(intentIds: string[]): Promise<void>;
  /** Drop an intent whose bytes may have partly reached the backend: the storage key becomes a debt. No-op when gone. */
  abandonIntent(intentId: string, reason: string): Promise<void>;
  /** Drop an intent we know wrote nothing (no debt). No-op when gone. */
  dropIntent(intentId: string): Promise<void>;
  getIntent(intentId: string): Promise<IntentRow | null>;
}

/** The client's changes of an object: commit a write, delete an object. */
export interface WriteLedger {
  /**
   * One transaction under the key lock (docs/architecture.md, "Commit is one transaction").
   * Throws NoSuchIntentError when the intent is gone, PreconditionFailedError (after recording
   * the new bytes as a debt) when `ifNoneMatchStar` and the key exists.
   */
  commitWrite(req: CommitWriteRequest): Promise<CommitResult>;
  /**
   * Remove the key and its copies (each a debt). Absent key: existed=false, no event. With
   * `createdBefore`, an object not older than that is left alone (sequencer null, no event).
   */
  deleteObject(objectKey: string, events: CommitEvents<DeleteOutcome>, options?: DeleteOptions): Promise<DeleteResult>;
}

/** A tag set written or removed on an object that exists. */
export interface TaggingResult {
  object: ObjectRow;
  sequencer: string;
}

/** Object tags outside a write (Put/DeleteObjectTagging; docs/architecture.md §4). */
export interface TaggingLedger {
  /**
   * Replace the key's tag set under the key lock, with its events; null (nothing written, no
   * event) when the key is absent.
   */
  setObjectTags(objectKey: string, tags: Record<string, string>, events: (r: TaggingResult) => NewEvent[]): Promise<TaggingResult | null>;
}

/** What the ledger holds: objects and their copies, key ranges, backend balances. */
export interface ReadLedger {
  getObject(objectKey: string): Promise<{ object: ObjectRow; locations: LocationRow[] } | null>;
  /** Keys in byte order within [from, to). */
  listRange(req: ListRequest): Promise<ListEntry[]>;
  getQuotas(): Promise<QuotaRow[]>;
  /** ok copies per backend that holds any, by name (the s3o_objects_count gauge). */
  copiesByBackend(): Promise<Array<{ backendName: string; copies: number }>>;
  /** Objects, replication backlog (fewer ok copies than `factor`), open intents and uploads (admin status). */
  operatorFigures(factor: number): Promise<OperatorFigures>;
}

/** The reaper's operations (docs/architecture.md, "Crash anywhere is recoverable"). */
export interface ReaperLedger {
  /** Intents whose heartbeat is older than `heartbeatBefore`, oldest heartbeat first, after `after`. */
  listStaleIntents(heartbeatBefore: number, after: IntentCursor | null, limit: number): Promise<IntentRow[]>;
  /**
   * Commit a stale `write` intent whose bytes are on the backend, by the commit rule (one
   * transaction: object row, copy row, displaced copies → debts, events) — unless the key holds
   * a newer write (its write_id sorts after the intent id): then the bytes become a debt.
   * Throws TypeError for a replica or move intent (those are never promoted).
   */
  promoteIntent(req: PromoteIntentRequest): Promise<PromoteOutcome>;
  /** End a stale intent that is not promoted: its storage key becomes a debt (a late request of its writer may still land). */
  reapIntent(req: ReapIntentRequest): Promise<ReapOutcome>;
}

/** Multipart uploads: pinned to one backend, parts reserved and recorded, completed as the key's object. */
export interface MultipartLedger {
  /**
   * Record an upload opened on the backend. False when the backend is draining (checked in
   * the same transaction): the backend's upload then becomes a multipart_upload debt and
   * the caller tries another backend.
   */
  createUpload(req: CreateUploadRequest): Promise<boolean>;
  getUpload(uploadId: string): Promise<MultipartUploadRow | null>;
  /**
   * Reserve space for a part on the pinned backend (replaces an earlier part with the same number,
   * whose reservation no longer counts). False = no room. Throws NoSuchUploadError.
   */
  /** `sizeBytes` is what the backend will hold; `plaintextSize` what the client sends, when different (encrypted). */
  claimPart(uploadId: string, partNumber: number, sizeBytes: number, plaintextSize?: number): Promise<boolean>;
  /** The part's bytes are on the backend. Throws NoSuchUploadError (e.g. aborted meanwhile). */
  /**
   * `checksum`: the part's base64 checksum in the upload's algorithm, when the upload has one;
   * `sha256`: the hex SHA-256 of its plaintext (integrity), which Complete turns into the
   * object's part hashes and composite when every named part has one.
   */
  recordPart(uploadId: string, partNumber: number, etag: string, backendEtag: string, sizeBytes: number, plaintextSize?: number, checksum?: string, sha256?: string): Promise<void>;
  /** Forget a reserved part whose upload failed. */
  releasePart(uploadId: string, partNumber: number): Promise<void>;
  /** All part rows by part number, including reserved ones still uploading (etag null). */
  listParts(uploadId: string): Promise<MultipartPartRow[]>;
  /**
   * Open uploads with object keys in [from, to), ordered by (objectKey, uploadId). With
   * `afterUploadId`, uploads of key `from` itself start after that upload id.
   */
  listUploads(req: ListRequest & { afterUploadId?: string | null }): Promise<MultipartUploadRow[]>;
  /**
   * Commit the upload as the key's object (write_id = uploadId), in one transaction like
   * commitWrite; all part rows go (parts not named were discarded by the backend Complete).
   * A repeated Complete — the upload is gone and the key's object has write_id = uploadId —
   * returns that object with `repeated: true` and appends nothing. Throws NoSuchUploadError,
   * InvalidPartOrderError, InvalidPartError.
   */
  completeMultipart(req: CompleteMultipartRequest): Promise<CompleteMultipartResult>;
  /** Remove the upload's rows and record one multipart_upload debt (orphan = sum of part sizes). False when no such upload. */
  abortMultipart(uploadId: string, reason: string): Promise<boolean>;
  /** Uploads created before `before` with no part reserved or recorded since (untouched), oldest first. */
  listStaleUploads(before: number, limit: number): Promise<MultipartUploadRow[]>;
}

/** Recording byte deletions owed (cleanup_queue), for whoever finds bytes nothing accounts for. */
export interface DebtLedger {
  enqueueCleanup(debts: CleanupDebt[]): Promise<void>;
}

/** Byte deletions owed (cleanup_queue): recording them, and the cleanup workers' queue. */
export interface CleanupLedger extends DebtLedger {
  /** Rows due now (next_retry <= now, lease unset or expired), leased for `leaseMs` so other workers skip them. */
  claimCleanup(limit: number, now: number, leaseMs: number): Promise<CleanupRow[]>;
  /** The bytes are gone: delete the row and release its orphan bytes, in one transaction. No-op when gone. */
  completeCleanup(id: number): Promise<void>;
  /** Record a failure; retry at `nextRetry`. */
  failCleanup(id: number, error: string, nextRetry: number): Promise<void>;
  /**
   * An in-doubt debt's bytes were deleted once: it stops being in doubt and is worked again at
   * `nextRetry` (the confirming DELETE) without counting an attempt, `note` as its last_error
   * (what an operator listing the queue sees). services/cleanup/src/queue-worker.ts says why.
   */
  confirmCleanupLater(id: number, note: string, nextRetry: number): Promise<void>;
  /**
   * Give up on a debt after a failed attempt (instead of failCleanup): move it to cleanup_dlq
   * with that attempt counted and `lastError` — its orphan bytes stay charged, the bytes are
   * still on the backend — and append `events` (cleanup.dead_lettered), in one transaction.
   * No-op when the row is gone.
   */
  deadLetterCleanup(id: number, lastError: string, events: NewEvent[]): Promise<void>;
}

/** What an operator sees of the cleanup queue and its dead letters, and the requeue. */
export interface CleanupAdminLedger {
  cleanupDepth(): Promise<number>;
  /** Queued debts by id, after `afterId` (null = from the first). */
  listCleanup(afterId: number | null, limit: number): Promise<CleanupRow[]>;
  /** Dead-lettered debts by id, after `afterId` (null = from the first). */
  listDeadLetters(afterId: number | null, limit: number): Promise<DeadLetterRow[]>;
  deadLetterDepth(): Promise<number>;
  /**
   * Move dead letters back to the queue under their own ids — attempts 0, due now — with a
   * `cleanup.enqueued` per backend; their orphan bytes stay charged (they always were).
   * `ids` null = every dead letter. Returns how many moved (ids not in the DLQ are ignored).
   */
  requeueDeadLetters(ids: number[] | null): Promise<number>;
  /**
   * Forget these dead letters — debts an operator settled outside the orchestrator (e.g. an
   * upload aborted with the provider's own tools when the backend cannot abort) — and
   * release their orphan bytes. Returns how many were found and discarded.
   */
  discardDeadLetters(ids: number[]): Promise<number>;
}

/** What the ledger accounts for on a backend (verify, reconcile, sync compare it with the backend). */
export interface HoldingsLedger {
  /** One page of what the ledger accounts for on a backend, of one kind, by (storage key, row id). */
  listHoldings(req: HoldingsRequest): Promise<BackendHolding[]>;
  /** Every record of any kind that accounts for `storageKey` on the backend, from one snapshot. */
  findHoldings(backendName: string, storageKey: string): Promise<BackendHolding[]>;
}

/** Appending events without a state change of their own (announcements, usage deltas). */
export interface EventLedger {
  appendEvents(events: NewEvent[]): Promise<void>;
}

/** Told after the COMMIT of every transaction that appended events — never inside one. */
export interface EventsAppendedSignal {
  /** `listener` runs synchronously after such a commit (it must not throw); returns its removal. */
  listen(listener: () => void): () => void;
}

/** The event log as the buses work it: reading, offsets, the outbox relay, redelivery and dead letters. */
export interface EventLogLedger {
  /**
   * Fires after every transaction that appended events, so a bus in this process looks at
   * once. A property, not a method: it is not an operation (wrappers that trace or guard the
   * ledger's operations pass it through untouched).
   */
  readonly eventsAppended: EventsAppendedSignal;
  readEventsAfter(seq: number, limit: number): Promise<StoredEvent[]>;
  /** The newest event's seq (0 when there is none): how far in-process consumers have to go. */
  latestEventSeq(): Promise<number>;
  getConsumerOffset(consumer: string): Promise<number>;
  setConsumerOffset(consumer: string, seq: number): Promise<void>;
  /**
   * The outbox relay's step: take the oldest unpublished events (disjoint across relays),
   * publish them, mark them published — one transaction, so a failed publish leaves them
   * for the next try. Returns how many were published.
   */
  relayEvents(limit: number, publish: (events: StoredEvent[]) => Promise<void>): Promise<number>;
  /** Record that `consumer` applied `eventId`; false when it already had (redelivery: skip). */
  markProcessed(consumer: string, eventId: string): Promise<boolean>;
  recordDeadEvent(consumer: string, eventId: string, attempts: number, lastError: string): Promise<void>;
  /**
   * One batch of pruning (docs/architecture.md §5 "Pruning the event log"): deletes up to
   * `limit` event_log rows that can never be handed to a consumer again — published before
   * `before` (the stream has dropped them too), or, with `unpublishedToo` (the in-process bus,
   * which never publishes), created before `before` and behind the offset of every consumer
   * that moved since `before` — and up to `limit` processed_events rows older than `before`
   * whose event is gone from event_log (nothing can redeliver it). Unpublished rows are never
   * deleted otherwise: the relay still owes them to NATS.
   */
  pruneEventLog(options: { before: number; unpublishedToo: boolean; limit: number }): Promise<{ events: number; processed: number }>;
}

/** Leadership of periodic jobs. */
export interface LeaderLocks {
  /** SQLite: process mutex; Postgres: advisory lock on a dedicated connection. Null when another holder has it. */
  tryLeaderLock(name: string): Promise<LeaderLock | null>;
}

/** What the process that opened the ledger does with it. */
/** Envelope encryption's records (docs/architecture.md, "Encryption at rest"). */
export interface EncryptionLedger {
  /**
   * Records `checkValue` (a data key wrapped by the master key `keyId`) unless the id has one,
   * and returns the recorded one: a process unwraps it at start to prove it holds the same
   * key material under that id as every process before it.
   */
  registerKeyCheck(keyId: string, checkValue: string): Promise<string>;
  /** The check value recorded for `keyId`, or null when no data key was ever wrapped by it here. */
  getKeyCheck(keyId: string): Promise<string | null>;
  /** Objects whose envelope header names master key `keyId`, after `afterKey`, in key order. */
  listObjectsEncryptedWith(keyId: string, afterKey: string, limit: number): Promise<EncryptedObjectRow[]>;
  /** Replaces an object's envelope header (a re-wrap) while it is still the write `writeId`. */
  rewrapObject(objectKey: string, writeId: string, encryption: string): Promise<boolean>;
  /** Encrypted (`encrypted`) or plaintext objects after `afterKey`, in key order. */
  listObjectsByStoredForm(encrypted: boolean, afterKey: string, limit: number): Promise<StoredFormRow[]>;
  /**
   * One transaction under the key lock: an object rewritten into another stored form
   * (encrypted, decrypted, a backend header rewritten) takes its new copies — each written
   * under a `move` intent, replacing the copy `from` on the same backend — and its new header
   * and stored size, only while it is still the write `writeId` and every `from` copy is still
   * its copy. Each replaced copy, and every copy not replaced (a missing one: replication
   * rebuilds it from the new form), becomes a debt. Otherwise the new bytes become debts.
   */
  rewriteStoredForm(req: RewriteStoredFormRequest): Promise<RewriteStoredFormOutcome>;
}

export interface RewriteStoredFormRequest {
  objectKey: string;
  writeId: string;
  /** the new envelope header (null: plaintext) and stored size (null: the plaintext size) */
  encryption: string | null;
  storedSize: number | null;
  copies: Array<{ intentId: string; from: { backendName: string; storageKey: string } }>;
}

/**
 * rewritten; stale: the object was deleted or overwritten meanwhile; conflict: its copies
 * changed meanwhile (moved, dropped, replicated); intent-gone: the reaper took an intent.
 */
export type RewriteStoredFormOutcome = 'rewritten' | 'stale' | 'conflict' | 'intent-gone';

export interface LedgerSetup {
  /** Make backend_quotas match config (insert missing, update limits). */
  syncBackends(backends: BackendQuotaConfig[]): Promise<void>;
  close(): Promise<void>;
}

/** Every role: what a composition root opens and hands out (each service takes the roles it uses). */
export interface Ledger extends
  LedgerSetup, IntentLedger, WriteLedger, TaggingLedger, ReadLedger, ReaperLedger, MultipartLedger, CleanupLedger, CleanupAdminLedger,
  HoldingsLedger, ImportLedger, RebuildLedger, LostObjectLedger, PlacementLedger, MissingCopyLedger, ScrubLedger, DrainLedger, NotificationLedger, UsageLedger,
  IdentityLedger, FleetLedger, EventLedger, EventLogLedger, LeaderLocks, EncryptionLedger {}
