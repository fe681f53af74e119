// What every stored object carries so it describes itself (docs/architecture.md §4 "What a
// backend object carries"): the client's metadata plus the virtual bucket, the write's id
// (a replica's storage key has an id of its own; this names the write it is a copy of), the
// ETag when known, the size the write announced (bytes a cut-off write left behind are
// shorter, so a reader without the ledger can tell them from a whole object), the tags the
// write was made with, and the client key — everything a rebuild of the ledger needs. S3
// caps user metadata at 2 KB, and the client may already use most of it: ours is added
// only while it fits, in the order below (the tags and the key last: the key can be read
// back from the storage key; tags that do not fit are lost to a rebuild).
// `required` (the envelope header of an encrypted object) is added first and always: without
// it the bytes cannot be decrypted with the database gone.
import { encodeStoredTags } from '@s3o/store';

const MAX_METADATA_BYTES = 2048;

export interface StoredFacts {
  bucket: string;
  key: string;
  /** the write's id: the intent id of a PUT, the upload id of a multipart upload */
  writeId: string;
  /** MD5 of the client's bytes (or the multipart ETag), null when not known before the upload */
  etag: string | null;
  /** the bytes the backend is to hold, null when not known yet (a multipart upload) */
  storedSize: number | null;
  tags?: Record<string, string> | undefined;
  /** the part sizes of a completed multipart object (the plaintext's) */
  partSizes?: number[] | undefined;
}

export function backendMetadata(facts: StoredFacts, user: Record<string, string>, required: Record<string, string> = {}): Record<string, string> {
  // Names of ours are refused on the way in (identity.ts); one stored before that rule (and
  // carried on by a copy) must still never pass for ours.
  const meta: Record<string, string> = Object.fromEntries(Object.entries(user).filter(([name]) => !name.startsWith('s3o-')));
  Object.assign(meta, required);
  let size = Object.entries(meta).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  const ours: Array<[string, string | null]> = [
    ['s3o-bucket', facts.bucket],
    ['s3o-write', facts.writeId],
    ['s3o-etag', facts.etag],
    ['s3o-size', facts.storedSize === null ? null : String(facts.storedSize)],
    ['s3o-parts', facts.partSizes && facts.partSizes.length > 0 ? facts.partSizes.join(',') : null],
    ['s3o-tags', encodeStoredTags(facts.tags)],
    ['s3o-key', encodeURIComponent(facts.key)],
  ];
  for (const [name, value] of ours) {
    if (value === null) continue;
    const cost = name.length + Buffer.byteLength(value);
    if (size + cost > MAX_METADATA_BYTES) continue;
    meta[name] = value;
    size += cost;
  }
  return meta;
}
