// What reconcile and sync ask of the ledger (docs/architecture.md §4 "Imported objects keep the key they
// were found under"): import an object that is already on a backend, and list the objects
// whose every copy is marked missing (lost). Shapes here; the rules live in core/import.ts.
import type { CleanupDebt, CommitEvents, CommitResult, LocationRow, ObjectIdentity } from './types.js';

export interface ImportObjectRequest {
  /** internal key `{bucket}/{key}` the object is imported as */
  objectKey: string;
  backendName: string;
  /** the backend key the bytes were found under; the copy keeps it */
  storageKey: string;
  /** as found on the backend; `size` is what bytes_used is charged */
  identity: ObjectIdentity;
  /** Events to append in the same transaction (object.created, op Import); `sequencer` is added by the store. */
  events: CommitEvents<CommitResult>;
}

export type ImportOutcome =
  | { outcome: 'imported'; commit: CommitResult }
  /** a ledger record (copy, intent, debt, dead letter, upload) already accounts for the storage key: nothing changed */
  | { outcome: 'held' }
  /** the internal key has a live object: it is never overwritten by an import; nothing changed */
  | { outcome: 'exists' };

/** An object none of whose copies is ok: every copy the ledger records was found absent. */
export interface LostObject {
  objectKey: string;
  writeId: string;
  size: number;
  etag: string;
  createdAt: number;
  /** the copies, all marked missing */
  copies: LocationRow[];
}

/** The lost objects' statements, part of ReadStatements; each engine implements them in its sql/reconcile.ts. */
export interface ReconcileReads {
  /** Objects with at least one missing copy and no ok copy, by key strictly after `after` (null = from the first). */
  listLostObjects(after: string | null, limit: number): Promise<Array<Omit<LostObject, 'copies'>>>;
  countLostObjects(): Promise<number>;
  /**
   * Whether any record accounts for the storage key on the backend — a copy, an intent, a
   * queued or dead-lettered debt, an open upload: the kinds Ledger.findHoldings reads, in one
   * statement (an import asks this of every object it takes).
   */
  isStorageKeyHeld(backendName: string, storageKey: string): Promise<boolean>;
}

/** Taking objects that are already on a backend into the ledger (reconcile, sync). */
export interface ImportLedger {
  /**
   * Make each object found on a backend its internal key's object, with one copy at the key
   * as found — unless a ledger record accounts for that storage key ('held', also when an
   * earlier request of the batch took it) or the internal key has a live object ('exists').
   * One transaction for the batch; one outcome per request, in order. Throws RangeError (and
   * imports nothing) for a backend with no quota row.
   */
  importObjects(reqs: ImportObjectRequest[]): Promise<ImportOutcome[]>;
}

/** One object a ledger rebuild found on the backends: the newest write of its key, with every copy of it. */
export interface RebuildObjectRequest {
  /** internal key `{bucket}/{key}` */
  objectKey: string;
  /** the write's id (from the stored metadata or the storage key): the object keeps it */
  writeId: string;
  /** when the write started (the write id's time) */
  createdAt: number;
  identity: ObjectIdentity;
  copies: Array<{ backendName: string; storageKey: string }>;
}

export interface RebuildOutcome {
  /** objects made, and copies recorded (of those and of objects already there from an interrupted run) */
  objects: number;
  copies: number;
  debts: number;
  /** records already there (a rebuild run again after an interruption): left as they are */
  alreadyThere: number;
  /** objects already recorded with another write than the one found: neither changed nor given the found copies */
  otherWrite: Array<{ objectKey: string; recorded: string; found: string }>;
}

/** Rebuilding the ledger from what the backends hold (`s3-orchestrator rebuild`). */
export interface RebuildLedger {
  /**
   * One transaction: each object is inserted with its write id, identity and copies (charged
   * to their backends) unless its key already has an object; each copy and debt is skipped
   * when a record already accounts for its storage key; every other debt is owed (charged as
   * orphan bytes). No events are appended: a rebuild announces nothing that had not happened.
   * Throws RangeError for a backend with no quota row.
   */
  rebuildObjects(objects: RebuildObjectRequest[], debts: CleanupDebt[]): Promise<RebuildOutcome>;
  /**
   * Post-restore recovery (`rebuild --merge`, core/merge.ts): one transaction; each key's object
   * is replaced by the newer write found on the backends, or removed (deleted since the restore
   * point) — only while the key still holds the write the decision was made on. Copies of the
   * old object that the new one does not keep are owed; debts as in rebuildObjects. No events.
   */
  mergeObjects(keys: MergeKeyRequest[], debts: CleanupDebt[]): Promise<MergeOutcome>;
}

/** What post-restore recovery decided for one object key. */
export interface MergeKeyRequest {
  objectKey: string;
  /** the write id the key held when decided (null: no object); anything else is left alone */
  expectWriteId: string | null;
  /** the newer write to record, with its copies; null removes the key (deleted since the restore point) */
  adopt: RebuildObjectRequest | null;
  /** storage keys of removed copies whose delete marker is on another backend than the bytes */
  markersElsewhere?: ReadonlyMap<string, string>;
}

export interface MergeOutcome {
  adopted: number;
  removed: number;
  /**
   * keys left alone: their object changed since the decision (run again), or a copy to adopt is
   * held by an intent or debt (a write in flight at the backup: the reaper resolves it)
   */
  changed: number;
  debts: number;
}

/** The objects none of whose copies is left (reconcile reports them, the admin API lists them). */
export interface LostObjectLedger {
  /** Objects with no ok copy left (every copy marked missing), by key strictly after `after`. */
  listLostObjects(after: string | null, limit: number): Promise<LostObject[]>;
  countLostObjects(): Promise<number>;
}
