// The identity (what HEAD and LIST answer) of an object found on a backend, from its HEAD:
// the client's content type, standard headers and x-amz-meta-* as stored; the ETag we stored
// with our own writes (x-amz-meta-s3o-etag, the MD5 of the client's bytes) or else the
// backend's own; our s3o-* metadata is not the client's and is left out. An encrypted copy
// carries its envelope header (docs/architecture.md, "Encryption at rest"): the object's size
// is the plaintext's, the copy's the stored bytes', and the header is what reads decrypt with.
import type { ObjectInfo } from '@s3o/backends';
import { parseHeader } from '@s3o/crypto';
import type { ObjectIdentity } from '@s3o/store';

const OWN_METADATA_PREFIX = 's3o-';

export function storedIdentity(found: ObjectInfo): ObjectIdentity {
  const userMetadata = Object.fromEntries(Object.entries(found.metadata).filter(([name]) => !name.startsWith(OWN_METADATA_PREFIX)));
  return {
    ...encryptedForm(found),
    etag: found.metadata[`${OWN_METADATA_PREFIX}etag`] ?? found.etag,
    contentType: found.contentType ?? 'application/octet-stream',
    userMetadata,
    headers: found.headers,
  };
}

/**
 * Size and stored form of an encrypted copy. A multipart object's header on the backend has
 * no part layout (that is only in the ledger): it keeps its stored size and a header reads
 * refuse (a 500), never bytes served as plaintext.
 */
function encryptedForm(found: ObjectInfo): Pick<ObjectIdentity, 'size' | 'storedSize' | 'encryption'> {
  const header = found.metadata[`${OWN_METADATA_PREFIX}enc`];
  if (header === undefined) return { size: found.size };
  const parsed = parseHeader(header);
  const size = parsed.parts?.length === 0 ? found.size : parsed.plaintextLength;
  return { size, storedSize: found.size, encryption: header };
}

/** The bucket an object stored by the orchestrator says it belongs to (x-amz-meta-s3o-bucket). */
export function storedBucket(found: ObjectInfo): string | undefined {
  return found.metadata[`${OWN_METADATA_PREFIX}bucket`];
}
