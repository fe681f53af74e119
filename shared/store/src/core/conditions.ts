// Conditional writes (`If-None-Match: *`, `If-Match`) decided under the key lock in the
// commit (docs/architecture.md, "Commit is one transaction"): of two racing conditional
// writers of one key, the one that commits second sees the first one's row and fails.
import { ConditionalConflictError, PreconditionFailedError } from '../errors.js';
import type { ObjectRow } from '../types.js';
import type { TxWork } from './tx-work.js';

export type ConditionFailure = 'precondition-failed' | 'conflict';

export interface WriteConditions {
  /** the key must be absent: its row is inserted here, which is the key lock of the write */
  ifNoneMatchStar?: boolean | undefined;
  /** the key must still hold this write (the object an `If-Match` was checked against) */
  ifWriteId?: string | undefined;
}

/** Null when the write may commit; the failure otherwise (nothing of the new object written). */
export async function checkWriteConditions(work: TxWork, object: ObjectRow, c: WriteConditions): Promise<ConditionFailure | null> {
  if (c.ifNoneMatchStar && !(await work.tx.insertObjectIfAbsent(object))) return 'precondition-failed';
  if (c.ifWriteId !== undefined) {
    const current = await work.tx.lockObjectKey(object.objectKey);
    if (!current || current.writeId !== c.ifWriteId) return 'conflict';
  }
  return null;
}

/** Throws the ledger error of a failed condition (after the transaction that owed its bytes committed). */
export function throwConditionFailure<T extends object>(outcome: T | ConditionFailure): asserts outcome is T {
  if (outcome === 'precondition-failed') throw new PreconditionFailedError();
  if (outcome === 'conflict') throw new ConditionalConflictError();
}
