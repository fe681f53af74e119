// Moving copies off a backend (docs/architecture.md §4 backend_drains, §2 placement): the drain record an
// operator starts and the placement service works, the move of one copy (drains and the
// rebalancer), and taking a backend out of the ledger. Shapes here; rules in core/drains.ts and
// core/placement.ts (the move).
import type { CommitEvents, LocationRow, NewEvent, ObjectRow } from './types.js';

export type DrainState = 'draining' | 'drained' | 'failed' | 'cancelled';

export interface DrainRow {
  id: number;
  backendName: string;
  state: DrainState;
  /** copies on the backend when the drain started (raised if more appear, e.g. completed uploads) */
  objectsTotal: number;
  /** copies moved away or dropped (another backend already had one) */
  objectsMoved: number;
  bytesMoved: number;
  lastError: string | null;
  startedAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** What the ledger still accounts for on one backend. */
export interface BackendRecordCounts {
  copies: number;
  copyBytes: number;
  /** open intents (writes, replicas, moves in flight) */
  intents: number;
  /** open multipart uploads */
  uploads: number;
  /** deletions owed: queued and dead-lettered */
  debts: number;
}

export interface MoveCopyRequest {
  /** the `move` intent the new copy's space was claimed with (its backend and storage key are the target) */
  intentId: string;
  /** the copy that was copied: it is replaced by the new one */
  from: { backendName: string; storageKey: string };
  /** the object's write_id when its bytes were copied */
  writeId: string;
  /** events of a completed move (object.moved); run inside the transaction; `sequencer` is added by the store */
  events: CommitEvents<MovedCopy>;
  /** the drain the move is for: its counters count the move in the same transaction */
  drainId?: number | null;
}

export interface MovedCopy {
  object: ObjectRow;
  from: LocationRow;
  to: LocationRow;
}

export type MoveCopyOutcome =
  | ({ outcome: 'moved' } & MovedCopy)
  /** the object was deleted or rewritten while its bytes were copied: the new bytes became a debt */
  | { outcome: 'stale' }
  /** the source copy is no longer there, or the target already holds a copy: the new bytes became a debt */
  | { outcome: 'conflict' }
  /** the intent is gone (the reaper took it): nothing changed */
  | { outcome: 'intent-gone' };

/** What DELETE /admin/api/backends/{name} with purge would do, or did. */
export interface BackendPurge {
  /** copy rows dropped */
  copies: number;
  /** objects whose only copies were on the backend: removed from the ledger and reported (object.lost) */
  lost: Array<{ objectKey: string; size: number; etag: string }>;
}

export interface BackendDrains {
  /**
   * Start a drain (one transaction): the backend then takes no new claims, replicas or
   * uploads. Null when one is already in progress. `events` (backend.drain.started) are
   * appended with it.
   */
  startDrain(backendName: string, events: (drain: DrainRow) => NewEvent[]): Promise<DrainRow | null>;
  /** The backend's most recent drain, or null. */
  getDrain(backendName: string): Promise<DrainRow | null>;
  /** Every drain in progress. */
  listActiveDrains(): Promise<DrainRow[]>;
  /** Add to the counters (and note an error, when given) of a drain. */
  recordDrainProgress(id: number, progress: { objects: number; bytes: number; error?: string | null }): Promise<void>;
  /**
   * End a drain in progress as `state`, appending `events` in the same transaction; null when
   * it is no longer in progress (cancelled meanwhile, or finished by another worker).
   */
  finishDrain(
    id: number,
    state: Exclude<DrainState, 'draining'>,
    reason: string | null,
    events: (drain: DrainRow) => NewEvent[],
  ): Promise<DrainRow | null>;
  countBackendRecords(backendName: string): Promise<BackendRecordCounts>;
  /** The backend's copies by storage key, strictly after `after` (null = from the first). */
  listBackendCopies(backendName: string, after: string | null, limit: number): Promise<LocationRow[]>;
  /**
   * Forget a backend that holds nothing (no copies, intents, uploads or debts): its quota row
   * and drain history go. False when it still holds something.
   */
  removeBackend(backendName: string): Promise<boolean>;
  /** What purging would drop: the copies, and the objects that have no copy elsewhere. */
  previewPurge(backendName: string): Promise<BackendPurge>;
  /**
   * Drop every record of the backend — copies (no debts: the backend is being given up),
   * intents, uploads, debts, its quota row and drain history — in batches. Objects left with
   * no copy are deleted from the ledger with an `events(lost)` each (object.lost) and returned.
   */
  purgeBackend(backendName: string, lostEvents: (object: ObjectRow, copies: LocationRow[]) => NewEvent[]): Promise<BackendPurge>;
}

/** Drains and the removal of backends (the admin API starts them, placement works them). */
export interface DrainLedger {
  readonly drains: BackendDrains;
}
