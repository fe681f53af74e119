// What the placement service asks of the ledger about the copies of objects over time
// (docs/architecture.md §2 placement, §4 "A replica or move commits under the same key lock"): commit a
// replica, mark a copy found absent, list objects below / above the replication factor, and
// drop excess copies. Request and outcome shapes here; the rules live in core/placement.ts.
import type { IntegrityCorruptionData } from '@s3o/events';
import type { MoveCopyOutcome, MoveCopyRequest } from './drain-types.js';
import type { CommitEvents, LocationRow, ObjectRow } from './types.js';

export interface CommitReplicaRequest {
  /** the `replica` intent the copy's space was claimed with */
  intentId: string;
  /** the object's write_id when its bytes were copied: a newer write makes the copy stale */
  writeId: string;
  /** events of a committed replica (object.replicated); `sequencer` is added by the store */
  events: CommitEvents<ReplicaCommit>;
}

export interface ReplicaCommit {
  object: ObjectRow;
  /** the new copy (state ok) */
  copy: LocationRow;
  /** a `missing` or `corrupt` copy on the same backend that the new one replaced (its bytes became a debt) */
  replaced: LocationRow | null;
  sequencer: string;
}

export type CommitReplicaOutcome =
  | ({ outcome: 'replicated' } & ReplicaCommit)
  /** the object was deleted or rewritten while its bytes were copied: the copy became a debt */
  | { outcome: 'stale' }
  /** the target backend already holds an ok copy (another replicator was first): the copy became a debt */
  | { outcome: 'duplicate' }
  /** the intent is gone (the reaper took it): nothing changed */
  | { outcome: 'intent-gone' };

export interface ReplicationPageRequest {
  /** resume strictly after this object key; null = from the first */
  after: string | null;
  limit: number;
  /** replication.factor */
  factor: number;
  /**
   * At most this many objects are examined per page (default REPLICATION_SCAN_ROWS), matching
   * or not: a page costs the same whether one object in a million is below the factor or none.
   */
  scan?: number;
}

/** Objects one replication page examines by default (~10 ms of SQLite at 1M objects). */
export const REPLICATION_SCAN_ROWS = 1000;

/** A page of a replication sweep. */
export interface ReplicationPage {
  candidates: ReplicationCandidate[];
  /** resume after this key; null when the page reached the last object */
  next: string | null;
}

export interface UnderReplicatedRequest extends ReplicationPageRequest {
  /** backends whose ok copies do not count (e.g. their breaker has been open too long) */
  uncounted: string[];
}

/** An object whose copies are not what the factor asks, as one page of a sweep sees it. */
export interface ReplicationCandidate {
  objectKey: string;
  writeId: string;
  size: number;
  /** ok copies that count: under-replication excludes the `uncounted` backends, over-replication counts all */
  okCopies: number;
  /** copies marked missing (awaiting repair) */
  missingCopies: number;
}

export interface DropCopiesRequest {
  objectKey: string;
  /** act only while the object still has this write_id (the plan was made for it) */
  writeId: string;
  /** backends whose copies to drop, most expendable first */
  backends: string[];
  /** ok copies that must remain (at least 1 is always kept): ok copies are dropped only above this */
  keepOk: number;
  /** the debts' reason, e.g. 'over-replicated' or 'missing-repaired' */
  reason: string;
}

/** Where copies live over time: replicas, moves, excess copies (the placement service). */
export interface PlacementLedger {
  /**
   * One transaction under the key lock: while the object exists with `writeId`, the copied
   * bytes become an ok copy on the intent's backend (a `missing` copy there is replaced, its
   * bytes a debt), bytes_used is charged and the events appended; otherwise — object gone or
   * rewritten, or the backend already has an ok copy — the bytes become a debt. The intent
   * ends either way.
   */
  commitReplica(req: CommitReplicaRequest): Promise<CommitReplicaOutcome>;
  /**
   * One transaction under the key lock: while the object still has `writeId` and its copy at
   * `from`, the move intent's bytes replace that copy (its bytes become a debt), bytes_used
   * moves with it and the events are appended; otherwise the new bytes become a debt. The
   * intent ends either way.
   */
  moveCopy(req: MoveCopyRequest): Promise<MoveCopyOutcome>;
  /** A page of objects below the factor or with missing copies, by key. */
  listUnderReplicated(req: UnderReplicatedRequest): Promise<ReplicationPage>;
  /** A page of objects with more ok copies than the factor, by key. */
  listOverReplicated(req: ReplicationPageRequest): Promise<ReplicationPage>;
  /**
   * One transaction under the key lock: drop the copies on `backends` in that order — missing
   * ones always, ok ones only while more than `keepOk` (and at least one) ok copies remain —
   * each a debt, bytes_used released. Nothing when the object is gone or has another write_id.
   * Returns the copies dropped.
   */
  dropCopies(req: DropCopiesRequest): Promise<LocationRow[]>;
}

/** Reporting a copy a backend no longer has (a read, replication or reconcile found it absent). */
export interface MissingCopyLedger {
  /**
   * A backend answered "no such key" for a copy the ledger lists: state → 'missing' (it no
   * longer counts toward the factor and is not read; replication repairs it). False when the
   * copy is not (or no longer) an ok copy at that storage key.
   */
  markCopyMissing(objectKey: string, backendName: string, storageKey: string): Promise<boolean>;
  /**
   * A copy's bytes failed their check: state → 'corrupt' (not read, not counted; replication
   * replaces it and its storage key becomes a debt), and `integrity.corruption_detected` is
   * appended in the same transaction. False when the copy is not (or no longer) an ok copy at
   * that storage key of that write — nothing is marked or announced then.
   */
  markCopyCorrupt(req: CorruptCopyReport): Promise<boolean>;
}

/** A copy for the scrubber to check. */
export interface ScrubCandidate {
  copy: LocationRow;
  /** when it was last found good (null: never) */
  verifiedAt: number | null;
}

/** What the scrubber asks of the ledger (docs/architecture.md, "Integrity"). */
export interface ScrubLedger {
  /** Up to `limit` ok copies (on `backendName` only, when given) not verified since `verifiedBefore`: never-verified first, then oldest-verified. */
  listCopiesToScrub(req: { verifiedBefore: number; limit: number; backendName?: string }): Promise<ScrubCandidate[]>;
  /** Records that the copy was read and found good at `at`; false when it is no longer an ok copy at that storage key. */
  markCopyVerified(objectKey: string, backendName: string, storageKey: string, at: number): Promise<boolean>;
  /** When each copy of the key was last verified (null: never), by backend name. */
  copyVerifiedTimes(objectKey: string): Promise<Map<string, number | null>>;
}

/** A copy found corrupt, and how. */
export interface CorruptCopyReport {
  objectKey: string;
  backendName: string;
  storageKey: string;
  /** the write the checked bytes were expected to be */
  writeId: string;
  reason: IntegrityCorruptionData['reason'];
  detectedBy: IntegrityCorruptionData['detected_by'];
}
