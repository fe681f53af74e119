// Row shapes and the Ledger API: what services call. Services never see SQL; the engine
// adapters implement TxAdapter (see tx-adapter.ts) and `core` composes it into these
// operations. Times are epoch milliseconds; sizes are JS numbers.
import type { EventRecord, NewEvent as EventsNewEvent } from '@s3o/events';

/** Standard headers stored with an object and returned on GET/HEAD. */
export interface StandardHeaders {
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
}

/** An S3 additional-checksum algorithm (x-amz-checksum-*), lower case. */
export type ChecksumAlgorithmName = 'crc32' | 'crc32c' | 'crc64nvme' | 'sha1' | 'sha256';

/**
 * The x-amz-checksum-* an object answers with: the value the client sent and the body was
 * verified against (FULL_OBJECT), or one derived from its parts' checksums (`…-N` when
 * COMPOSITE). On an open multipart upload: the algorithm and type its Create chose, no value.
 */
export interface StoredChecksum {
  algorithm: ChecksumAlgorithmName;
  type: 'COMPOSITE' | 'FULL_OBJECT';
  value?: string;
  /**
   * An object completed from an upload that chose an algorithm: each part's checksum, part 1
   * first (GetObjectAttributes lists them). Absent otherwise.
   */
  parts?: string[];
}

/** What HEAD and LIST answer from. */
export interface ObjectIdentity {
  size: number;
  /** Client-facing ETag without quotes: hex MD5, or `hex-N` for multipart. */
  etag: string;
  contentType: string;
  /** `x-amz-meta-*` without the prefix, names lower-cased. */
  userMetadata: Record<string, string>;
  headers: StandardHeaders;
  /**
   * SHA-256 of the plaintext when recorded (integrity.enabled): hex of the whole object, or for
   * one completed from parts with `partHashes` the composite `hex-N` (the SHA-256 of the parts'
   * binary digests, part-hashes.ts).
   */
  contentHash?: string | null;
  /**
   * Bytes each copy holds when they differ from `size` (an encrypted object's chunks carry
   * tags); null or absent = `size`. Quotas, copies and replication count these.
   */
  storedSize?: number | null;
  /** The envelope header of an encrypted object (@s3o/crypto formatHeader); null = plaintext. */
  encryption?: string | null;
  /** Object tags, key → value (at most 10); absent = none. */
  tags?: Record<string, string>;
  /** Sizes of the parts of an object completed from a multipart upload, part 1 first; absent for one written whole. */
  partSizes?: number[];
  /** Hex SHA-256 of each part's plaintext, as partSizes; absent when not every part had one recorded (then no composite either). */
  partHashes?: string[];
  /** The object's additional checksum; absent = none was sent. */
  checksum?: StoredChecksum;
}

export interface ObjectRow extends ObjectIdentity {
  /** internal key `{bucket}/{key}` */
  objectKey: string;
  writeId: string;
  createdAt: number;
}

/** `missing`: the backend no longer has it; `corrupt`: its bytes failed their check. Neither is read or counted. */
export type LocationState = 'ok' | 'missing' | 'corrupt';

export interface LocationRow {
  objectKey: string;
  backendName: string;
  storageKey: string;
  writeId: string;
  sizeBytes: number;
  createdAt: number;
  state: LocationState;
}

export type IntentKind = 'write' | 'replica' | 'move';

export interface IntentRow {
  intentId: string;
  kind: IntentKind;
  objectKey: string;
  backendName: string;
  storageKey: string;
  sizeBytes: number;
  /** Only for `write` intents. */
  identity: ObjectIdentity | null;
  createdAt: number;
  heartbeatAt: number;
}

export interface QuotaRow {
  backendName: string;
  /** 0 = unlimited */
  bytesLimit: number;
  bytesUsed: number;
  orphanBytes: number;
  /** bytes claimed by open intents and open multipart parts */
  inflightBytes: number;
}

export interface MultipartUploadRow {
  uploadId: string;
  objectKey: string;
  backendName: string;
  backendUploadId: string;
  storageKey: string;
  identity: Omit<ObjectIdentity, 'size' | 'etag'>;
  createdAt: number;
}

export interface MultipartPartRow {
  uploadId: string;
  partNumber: number;
  /** MD5 hex of the client's bytes; null while the part is still uploading */
  etag: string | null;
  backendEtag: string | null;
  /** bytes the part holds on the backend (claimed and charged) */
  sizeBytes: number;
  /** bytes the client sent, when the backend holds another form (an encrypted part); absent = sizeBytes */
  plaintextSize?: number;
  /** base64 checksum of the part in its upload's algorithm (identity.checksum), once recorded */
  checksum?: string;
  /** hex SHA-256 of the part's plaintext (integrity.enabled, unencrypted uploads), once recorded */
  sha256?: string;
  createdAt: number;
}

export type CleanupKind = 'object' | 'multipart_upload';

export interface CleanupRow {
  id: number;
  kind: CleanupKind;
  backendName: string;
  storageKey: string;
  backendUploadId: string | null;
  objectKey: string | null;
  reason: string;
  sizeBytes: number;
  attempts: number;
  nextRetry: number;
  lastError: string | null;
  createdAt: number;
  /**
   * The backend holding the delete marker of this deleted copy (cleanup deletes it after the
   * bytes; docs/architecture.md §4 "Deletes do not come back"); null for other debts and for
   * those recorded before the column existed (@s3o/store markerBackendOf reads their reason).
   */
  markerBackend: string | null;
  /**
   * The bytes come from a request whose outcome is unknown (an abandoned intent): a backend may
   * still store them after a first DELETE, so a second one confirms (docs/architecture.md,
   * "Crash anywhere is recoverable").
   */
  inDoubt: boolean;
}

/** A debt to record: bytes that must be deleted from a backend. */
export interface CleanupDebt {
  kind: CleanupKind;
  backendName: string;
  storageKey: string;
  backendUploadId?: string | null;
  objectKey?: string | null;
  reason: string;
  /** charged to orphan_bytes until the bytes are gone */
  sizeBytes: number;
  /** bytes of a request whose outcome is unknown (CleanupRow.inDoubt) */
  inDoubt?: boolean;
  /** where the delete marker of a deleted copy is (CleanupRow.markerBackend) */
  markerBackend?: string | null;
}

/**
 * An event to append, as the caller builds it with a constructor of @s3o/events (id, time and
 * seq are assigned by the store), typed by its event type.
 */
export type NewEvent = EventsNewEvent;

/**
 * A stored event as read back (event_log): its data unchecked until a consumer parses it
 * (@s3o/events parseEvent). `sequencer` (hex of seq, zero padded to 16) is derived from seq.
 */
export type StoredEvent = EventRecord;

export interface ListEntry {
  objectKey: string;
  size: number;
  etag: string;
  createdAt: number;
}

/** Outcome of a claim: which backend took the bytes, or null when none had room. */
export interface Claim {
  intentId: string;
  backendName: string;
  storageKey: string;
}

export interface CommitResult {
  object: ObjectRow;
  /** The key's copies after the commit (the new copy). */
  copies: LocationRow[];
  /** Copies of earlier writes that this commit displaced (now cleanup debts). */
  displaced: LocationRow[];
  /** `seq` of the commit's first event as 16 hex digits; increases per key in commit order. */
  sequencer: string;
}

/** What a completed multipart upload committed; `repeated` answers a Complete of an already completed upload. */
export type CompleteMultipartResult =
  | (CommitResult & { repeated: false })
  /** The upload was completed before: the object it made, no new event, no sequencer. */
  | { repeated: true; object: ObjectRow; copies: LocationRow[]; displaced: []; sequencer: null };

/**
 * Builds the events of a commit from what the commit did — displaced and removed copies are
 * known only inside the transaction. Runs inside the transaction: it must not do I/O.
 * The store adds `sequencer` to each event's `data`.
 */
export type CommitEvents<Outcome> = (outcome: Outcome) => NewEvent[];

export interface DeleteOutcome {
  object: ObjectRow;
  /** the copies removed (now cleanup debts) */
  removed: LocationRow[];
  sequencer: string;
}

/** A debt the cleanup service gave up on, as kept in cleanup_dlq (its orphan bytes stay charged). */
export interface DeadLetterRow extends Omit<CleanupRow, 'nextRetry' | 'inDoubt'> {
  /** when it left the queue */
  movedAt: number;
}

/**
 * Why the ledger accounts for a storage key on a backend: a committed copy, an open intent,
 * a debt still queued, a debt dead-lettered, or an open multipart upload.
 */
export type HoldingKind = 'copy' | 'intent' | 'debt' | 'dead_letter' | 'upload';

/** One ledger record that accounts for a storage key on a backend (what verify compares with the backend). */
export interface BackendHolding {
  kind: HoldingKind;
  storageKey: string;
  /**
   * Tells apart records of one kind with the same storage key: the object key (copy), intent
   * id, queue / DLQ id (as decimal text) or upload id. Together with storageKey, a page cursor.
   */
  rowId: string;
  objectKey: string | null;
  /** the record's bytes; for an upload, the bytes of its parts so far */
  sizeBytes: number;
}

/** Where a page of holdings resumes: strictly after this (storage key, row id). */
export interface HoldingCursor {
  storageKey: string;
  rowId: string;
}

/** Where a page of stale intents resumes: strictly after this (heartbeat, intent id). */
export interface IntentCursor {
  heartbeatAt: number;
  intentId: string;
}

/** What promoteIntent did. */
export type PromoteOutcome =
  | { outcome: 'promoted'; commit: CommitResult }
  /** the key was written by a newer write meanwhile: the intent's bytes became a debt */
  | { outcome: 'superseded' }
  /** the intent is gone, or its heartbeat is no longer stale (a live write): nothing changed */
  | { outcome: 'skipped' };

/** What reapIntent did. */
export type ReapOutcome = 'owed' | 'skipped';
