// The identity (what HEAD and LIST answer) of an object found on a backend, from its HEAD:
// the client's content type, standard headers and x-amz-meta-* as stored; the ETag we stored
// with our own writes (x-amz-meta-s3o-etag, the MD5 of the client's bytes) or else the
// backend's own; our s3o-* metadata is not the client's and is left out.
import type { ObjectInfo } from '@s3o/backends';
import type { ObjectIdentity } from '@s3o/store';

const OWN_METADATA_PREFIX = 's3o-';

export function storedIdentity(found: ObjectInfo): ObjectIdentity {
  const userMetadata = Object.fromEntries(Object.entries(found.metadata).filter(([name]) => !name.startsWith(OWN_METADATA_PREFIX)));
  return {
    size: found.size,
    etag: found.metadata[`${OWN_METADATA_PREFIX}etag`] ?? found.etag,
    contentType: found.contentType ?? 'application/octet-stream',
    userMetadata,
    headers: found.headers,
  };
}

/** The bucket an object stored by the orchestrator says it belongs to (x-amz-meta-s3o-bucket). */
export function storedBucket(found: ObjectInfo): string | undefined {
  return found.metadata[`${OWN_METADATA_PREFIX}bucket`];
}
