// The adapter statements the placement rules (core/placement.ts) compose; each engine
// implements them in its sql/placement.ts. Part of ReadStatements / TxStatements.
import type { ReplicationPage, ScrubCandidate } from './placement-types.js';
import type { LocationRow } from './types.js';

export interface PlacementReads {
  /**
   * Of the next `scan` objects by key strictly after `after` (null = from the first), at most
   * `limit` with fewer than `factor` ok copies on backends outside `uncounted`, or with any
   * copy marked missing. `next` is the last key examined (null once the last object was).
   */
  listUnderReplicated(after: string | null, limit: number, scan: number, factor: number, uncounted: string[]): Promise<ReplicationPage>;
  /** As listUnderReplicated, for objects with more than `factor` ok copies (any backend). */
  listOverReplicated(after: string | null, limit: number, scan: number, factor: number): Promise<ReplicationPage>;
  /** Ok copies never verified, then those verified longest ago, before `verifiedBefore`; at most `limit`. */
  listScrubCandidates(verifiedBefore: number, limit: number, backendName: string | null): Promise<ScrubCandidate[]>;
  /** When each copy of the key was last verified (null: never), by backend. */
  selectVerifiedTimes(objectKey: string): Promise<Array<{ backendName: string; verifiedAt: number | null }>>;
}

export interface PlacementWrites {
  /** Delete the key's copy on the backend and return it; null when there is none. */
  deleteLocation(objectKey: string, backendName: string): Promise<LocationRow | null>;
  /** state → `state` for that copy while it is ok and still at `storageKey`; false when no such copy. */
  /** verified_at → `at` for that copy while it is ok and still at `storageKey`; false when no such copy. */
  setLocationVerified(objectKey: string, backendName: string, storageKey: string, at: number): Promise<boolean>;
  markLocationUnusable(objectKey: string, backendName: string, storageKey: string, state: 'missing' | 'corrupt'): Promise<boolean>;
}
