// Which virtual bucket and object key a backend key is imported as.
//   sync (one bucket named by the operator): the key minus a leading `<bucket>/`, else the
//     key as it is — so `photos/a.jpg` and `a.jpg` both become `a.jpg` in photos.
//   reconcile: the bucket named by x-amz-meta-s3o-bucket when the object carries it (every
//     object the orchestrator stores does, docs/architecture.md §4), else the key's first path segment;
//     the key is what follows `<bucket>/` (or the whole key when it does not start so).
// The object keeps its storage key either way; only the name clients see is derived.

export type ImportTarget =
  | { bucket: string; key: string }
  /** no bucket (config or stored) has that name: reported, never imported */
  | { unknownBucket: string }
  /** nothing is left to name the object (e.g. a folder marker `photos/`) */
  | { unnamed: true };

function keyWithin(bucket: string, backendKey: string): string {
  return backendKey.startsWith(`${bucket}/`) ? backendKey.slice(bucket.length + 1) : backendKey;
}

/** sync: every key goes to `bucket`. */
export function syncTarget(bucket: string, backendKey: string): ImportTarget {
  const key = keyWithin(bucket, backendKey);
  return key === '' ? { unnamed: true } : { bucket, key };
}

/** reconcile: the bucket the object names (metadata, else first path segment), when configured. */
export function reconcileTarget(backendKey: string, bucketMetadata: string | undefined, configured: ReadonlySet<string>): ImportTarget {
  const slash = backendKey.indexOf('/');
  const bucket = bucketMetadata ?? (slash > 0 ? backendKey.slice(0, slash) : null);
  if (bucket === null) return { unnamed: true };
  if (!configured.has(bucket)) return { unknownBucket: bucket };
  const key = keyWithin(bucket, backendKey);
  return key === '' ? { unnamed: true } : { bucket, key };
}
