// What every stored object carries so it describes itself (docs/architecture.md §4): the client's
// metadata plus the virtual bucket, the ETag when known, the size the write announced (bytes a
// cut-off write left behind are shorter, so a reader without the ledger can tell them from a
// whole object) and the client key. S3 caps
// user metadata at 2 KB, and the client may already use most of it: ours is added only
// while it fits, key last (it is the longest and the ledger can be rebuilt without it).
// `required` (the envelope header of an encrypted object) is added first and always: without
// it the bytes cannot be decrypted with the database gone.
const MAX_METADATA_BYTES = 2048;

/** `storedSize`: the bytes the backend is to hold (null when not known yet: a multipart upload). */
export function backendMetadata(
  bucket: string, key: string, user: Record<string, string>, etag: string | null, storedSize: number | null,
  required: Record<string, string> = {},
): Record<string, string> {
  // Names of ours are refused on the way in (identity.ts); one stored before that rule (and
  // carried on by a copy) must still never pass for ours.
  const meta: Record<string, string> = Object.fromEntries(Object.entries(user).filter(([name]) => !name.startsWith('s3o-')));
  Object.assign(meta, required);
  let size = Object.entries(meta).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  const ours: Array<[string, string | null]> = [
    ['s3o-bucket', bucket], ['s3o-etag', etag], ['s3o-size', storedSize === null ? null : String(storedSize)], ['s3o-key', encodeURIComponent(key)],
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
