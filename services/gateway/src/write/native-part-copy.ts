// UploadPartCopy done by the backend itself: when the source has a good copy on the backend
// that holds the upload and neither side is encrypted, the backend copies the range into the
// part (no byte passes through the gateway). A backend that answers NotImplemented (s3rver)
// is remembered for the process's life and every later copy to it streams GET → UploadPart.
import { BackendUnsupportedError, type BackendClient } from '@s3o/backends';
import type { LocationRow, MultipartUploadRow, ObjectRow } from '@s3o/store';
import type { ByteRange } from '../read/conditions.js';

/** Backends that answered UploadPartCopy with NotImplemented / MethodNotAllowed. */
const unsupported = new Set<string>();

/**
 * The source copy the backend may copy from, or null for the streaming path: plaintext on both
 * sides (an encrypted part is encrypted under the upload's own key; an encrypted source is
 * decrypted on the way), an upload without a chosen checksum algorithm (the part's checksum
 * is computed on the way), and a good copy on the upload's backend.
 */
export function nativeSource(upload: MultipartUploadRow, source: ObjectRow, locations: readonly LocationRow[]): LocationRow | null {
  if (upload.identity.encryption || source.encryption || upload.identity.checksum) return null;
  if (unsupported.has(upload.backendName)) return null;
  return locations.find((l) => l.backendName === upload.backendName && l.state === 'ok') ?? null;
}

/**
 * The part's ETag from the backend's own copy, or null when the backend cannot copy (now
 * remembered) or answers with an ETag that is not the bytes' MD5 (then the caller streams).
 */
export async function copyPartNatively(client: BackendClient, upload: MultipartUploadRow, partNumber: number,
  from: LocationRow, range: ByteRange | null): Promise<string | null> {
  let etag: string;
  try {
    etag = await client.uploadPartCopy(upload.storageKey, upload.backendUploadId, partNumber, from.storageKey, range);
  } catch (err) {
    if (!(err instanceof BackendUnsupportedError)) throw err;
    unsupported.add(upload.backendName);
    return null;
  }
  // A part's ETag is the MD5 of its bytes (what the client's multipart ETag is built from).
  return /^[0-9a-f]{32}$/i.test(etag) ? etag.toLowerCase() : null;
}
