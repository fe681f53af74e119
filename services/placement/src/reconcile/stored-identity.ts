// The identity (what HEAD and LIST answer) of an object found on a backend, from its HEAD:
// the client's content type, standard headers and x-amz-meta-* as stored; the ETag we stored
// with our own writes (x-amz-meta-s3o-etag, the MD5 of the client's bytes) or else the
// backend's own; the tags and part sizes the object was stamped with (write/restamp.ts in the
// gateway); our s3o-* metadata is not the client's and is left out. An encrypted copy
// carries its envelope header (docs/architecture.md, "Encryption at rest"): the object's size
// is the plaintext's, the copy's the stored bytes', and the header is what reads decrypt with.
import type { ObjectInfo } from '@s3o/backends';
import { parseHeader } from '@s3o/crypto';
import type { ObjectIdentity } from '@s3o/store';
import { decodeStoredTags } from '@s3o/store';

const OWN_METADATA_PREFIX = 's3o-';

export function storedIdentity(found: ObjectInfo): ObjectIdentity {
  const userMetadata = Object.fromEntries(Object.entries(found.metadata).filter(([name]) => !name.startsWith(OWN_METADATA_PREFIX)));
  const tags = decodeStoredTags(found.metadata[`${OWN_METADATA_PREFIX}tags`]);
  const partSizes = parseParts(found.metadata[`${OWN_METADATA_PREFIX}parts`]);
  return {
    ...encryptedForm(found),
    etag: found.metadata[`${OWN_METADATA_PREFIX}etag`] ?? found.etag,
    contentType: found.contentType ?? 'application/octet-stream',
    userMetadata,
    headers: found.headers,
    ...(tags ? { tags } : {}),
    ...(partSizes ? { partSizes } : {}),
  };
}

/** x-amz-meta-s3o-parts (a completed multipart object's part sizes, `5242880,17`); undefined when absent or malformed. */
function parseParts(text: string | undefined): number[] | undefined {
  if (text === undefined || !/^\d+(,\d+)*$/.test(text)) return undefined;
  return text.split(',').map(Number);
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
