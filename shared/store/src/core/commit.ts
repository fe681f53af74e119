// The commit rule (docs/architecture.md, "Commit is one transaction") that a write, a
// multipart completion and the reaper's promotion share, and the rows it makes.
import { withTags } from '../object-tags.js';
import type { TxWork } from './tx-work.js';
import type { CommitEvents, CommitResult, ObjectIdentity, ObjectRow, StandardHeaders } from '../types.js';

/** The objects row a write makes, in the shape reads return it (absent optionals as null / omitted). */
export function objectRow(objectKey: string, writeId: string, identity: ObjectIdentity, now: number): ObjectRow {
  const headers: StandardHeaders = {};
  for (const [name, value] of Object.entries(identity.headers) as Array<[keyof StandardHeaders, string | undefined]>) {
    if (value !== undefined) headers[name] = value;
  }
  return {
    objectKey,
    writeId,
    size: identity.size,
    etag: identity.etag,
    contentType: identity.contentType,
    userMetadata: identity.userMetadata,
    headers,
    contentHash: identity.contentHash ?? null,
    ...storedForm(identity),
    ...withTags(identity.tags),
    ...(identity.partSizes ? { partSizes: identity.partSizes } : {}),
    ...(identity.partHashes ? { partHashes: identity.partHashes } : {}),
    ...(identity.checksum ? { checksum: identity.checksum } : {}),
    createdAt: now,
  };
}

/** The stored-form fields of an identity, present only for an object stored in another form (encrypted). */
export function storedForm(identity: Pick<ObjectIdentity, 'storedSize' | 'encryption'>): Pick<ObjectIdentity, 'storedSize' | 'encryption'> {
  return {
    ...(identity.storedSize != null ? { storedSize: identity.storedSize } : {}),
    ...(identity.encryption != null ? { encryption: identity.encryption } : {}),
  };
}

/** `limit − used − orphan − inflight ≥ size`, limit 0 = unlimited. */
export function hasRoom(balance: { bytesLimit: number; bytesUsed: number; orphanBytes: number }, inflight: number, size: number): boolean {
  if (balance.bytesLimit === 0) return true;
  return balance.bytesLimit - balance.bytesUsed - balance.orphanBytes - inflight >= size;
}

/**
 * Make `object` the key's live object with one copy at `copy`: lock the key (upsert, or the
 * caller already wrote the row — If-None-Match's insert, the reaper's conditional upsert),
 * turn the copies of other writes into debts, insert the new copy, charge its bytes and
 * append the events with the commit's sequencer.
 */
export async function commitCopy(
  work: TxWork,
  object: ObjectRow,
  copy: { backendName: string; storageKey: string },
  keyLock: 'upsert' | 'written',
  events: CommitEvents<CommitResult>,
): Promise<CommitResult> {
  const { tx } = work;
  if (keyLock === 'upsert') await tx.upsertObjectForWrite(object);
  const displaced = await tx.deleteLocationsOfOtherWrites(object.objectKey, object.writeId);
  for (const location of displaced) await work.displace(location, 'overwritten');
  const location = await work.addCopy(object, copy.backendName, copy.storageKey);
  const sequenced = await work.takeSequencer();
  const result: CommitResult = { object, copies: [location], displaced, sequencer: sequenced.sequencer };
  work.append(events(result), sequenced);
  return result;
}
