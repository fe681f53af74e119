// The adapter statements the placement rules (core/placement.ts) compose; each engine
// implements them in its sql/placement.ts. Part of ReadStatements / TxStatements.
import type { ReplicationCandidate } from './placement-types.js';
import type { LocationRow } from './types.js';

export interface PlacementReads {
  /**
   * Objects, by key strictly after `after` (null = from the first), with fewer than `factor`
   * ok copies on backends outside `uncounted`, or with any copy marked missing.
   */
  listUnderReplicated(after: string | null, limit: number, factor: number, uncounted: string[]): Promise<ReplicationCandidate[]>;
  /** Objects, by key strictly after `after`, with more than `factor` ok copies (any backend). */
  listOverReplicated(after: string | null, limit: number, factor: number): Promise<ReplicationCandidate[]>;
}

export interface PlacementWrites {
  /** Delete the key's copy on the backend and return it; null when there is none. */
  deleteLocation(objectKey: string, backendName: string): Promise<LocationRow | null>;
  /** state → `state` for that copy while it is ok and still at `storageKey`; false when no such copy. */
  markLocationUnusable(objectKey: string, backendName: string, storageKey: string, state: 'missing' | 'corrupt'): Promise<boolean>;
}
