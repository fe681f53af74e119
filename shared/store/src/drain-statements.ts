// The adapter statements the drain rules (core/drains.ts) compose; each engine implements
// them in its sql/drains.ts. Part of ReadStatements / TxStatements.
import type { BackendRecordCounts, DrainRow, DrainState } from './drain-types.js';
import type { LocationRow } from './types.js';

export interface DrainReads {
  /** The backend's most recent drain (highest id). */
  selectLatestDrain(backendName: string): Promise<DrainRow | null>;
  selectActiveDrains(): Promise<DrainRow[]>;
  countBackendRecords(backendName: string): Promise<BackendRecordCounts>;
  /** Copies on the backend by storage key, strictly after `after`. */
  listBackendLocations(backendName: string, after: string | null, limit: number): Promise<LocationRow[]>;
}

export interface DrainWrites {
  /** Insert a drain in progress; null when the backend already has one (the partial unique index). */
  insertDrain(backendName: string, objectsTotal: number, now: number): Promise<DrainRow | null>;
  /** Add to the counters; objects_total is raised to at least moved + `remaining` when given. */
  addDrainProgress(id: number, objects: number, bytes: number, error: string | null, now: number): Promise<void>;
  /** state → `state` (finished_at = now, last_error = reason when given) while it is draining; the row after, or null. */
  /** Ends a drain in progress; a `drained` one may still be `cancelled` (returned to service). Null when neither applies. */
  endDrain(id: number, state: Exclude<DrainState, 'draining'>, reason: string | null, now: number): Promise<DrainRow | null>;
  /** Deletes up to `limit` of the backend's copies and returns them. */
  takeBackendLocations(backendName: string, limit: number): Promise<LocationRow[]>;
  /** Deletes every intent, upload (with its parts), queued and dead-lettered debt of the backend. */
  deleteBackendHoldings(backendName: string): Promise<void>;
  /** Deletes the backend's quota row and drain history. */
  deleteBackendRows(backendName: string): Promise<void>;
}
