// UploadPartCopy: a part of an open multipart upload whose bytes are (a range of) an object
// the caller may read — in this bucket or another. When the source has a copy on the upload's
// backend and nothing is encrypted, the backend copies the part itself (write/native-part-copy.ts).
// Otherwise the source bytes are streamed from one of its copies into the upload's pinned
// backend (GET → UploadPart, never buffered whole), with their MD5 and checksum computed on
// the way: the part's ETag, as for a part the client sent itself. An encrypted source is
// decrypted on the way (read/stored-form.ts: only the chunks covering the range are fetched)
// and a part of an encrypted upload is encrypted, as UploadPart does.
import { pipeline } from 'node:stream';
import { BodyVerifier, S3Error, escapeXml } from '@s3o/s3';
import { header, type RequestContext } from '../context.js';
import { sendXml } from '../http/respond.js';
import type { ByteRange } from '../read/conditions.js';
import { openFirstCopy } from '../read/open-copy.js';
import { planStoredRead } from '../read/stored-form.js';
import { DEFAULT_CHECKSUM_ALGORITHM } from '../write/body.js';
import { checksumElement } from '../write/checksum.js';
import { countEncrypted, encryptedPart } from '../write/encryption.js';
import { copyPartNatively, nativeSource } from '../write/native-part-copy.js';
import { PlaintextHash } from '../write/plaintext-hash.js';
import { authorizeBucket } from '../authorize.js';
import { copySourceObject, parseCopySource } from './copy-object.js';
import { MAX_PART_SIZE, openUpload, openUploadKey, parsePartNumber } from './multipart.js';

/** `x-amz-copy-source-range: bytes=first-last`, inside the source; null = the whole source. */
export function parseCopySourceRange(raw: string | undefined, sourceSize: number): ByteRange | null {
  if (raw === undefined) return null;
  const m = /^bytes=(\d{1,15})-(\d{1,15})$/.exec(raw.trim());
  if (!m || Number(m[1]) > Number(m[2])) {
    throw new S3Error('InvalidArgument', {
      message: 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      extra: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: raw },
    });
  }
  const range = { start: Number(m[1]), end: Number(m[2]) };
  if (range.end >= sourceSize) {
    throw new S3Error('InvalidRange', { message: `Range specified is not valid for source object of size: ${sourceSize}`, extra: { RangeRequested: raw, ActualObjectSize: String(sourceSize) } });
  }
  return range;
}

export async function uploadPartCopy(ctx: RequestContext): Promise<void> {
  const partNumber = parsePartNumber(ctx.addr.query.get('partNumber'));
  const upload = await openUpload(ctx);
  const { ledger, backends, config, logger } = ctx.deps;
  const src = parseCopySource(header(ctx.req, 'x-amz-copy-source') ?? '');
  // `write` on the upload's bucket was checked with the action (authorize.ts); the source needs `read`.
  authorizeBucket(ctx.identity.registry, ctx.principal.user, src.bucket, 'read');
  const found = await copySourceObject(ctx, src);
  const source = found.object;
  const range = parseCopySourceRange(header(ctx.req, 'x-amz-copy-source-range'), source.size);
  const length = range ? range.end - range.start + 1 : source.size;
  if (length > Math.min(MAX_PART_SIZE, config.server.maxObjectSize)) throw new S3Error('EntityTooLarge');

  const client = backends.get(upload.backendName);
  if (!client) throw new Error(`backend ${upload.backendName} has no client`);
  const chosen = upload.identity.checksum;
  // Not with integrity on: a part's SHA-256 needs its bytes to pass through the gateway.
  const native = length > 0 && !config.integrity.enabled ? nativeSource(upload, source, found.locations) : null;
  if (native) {
    if (!(await ledger.claimPart(upload.uploadId, partNumber, length))) throw new S3Error('InsufficientStorage');
    let etag: string | null;
    try {
      etag = await copyPartNatively(client, upload, partNumber, native, range);
    } catch (err) {
      // The backend may have made the part before failing: its claim stays, as for UploadPart.
      logger.warn({ err, backend: upload.backendName, requestId: ctx.requestId }, 'native part copy failed');
      throw new S3Error('ServiceUnavailable', { message: 'The storage backend failed while copying the part; please retry.' });
    }
    if (etag !== null) {
      await ledger.recordPart(upload.uploadId, partNumber, etag, etag, length);
      sendCopyPartResult(ctx, etag, undefined);
      return;
    }
    // NotImplemented (now remembered) or an ETag that is not an MD5: the part streams (its
    // claim is the same size), overwriting whatever the backend made of it.
  }

  // The part's checksum, computed on the way: the upload's chosen algorithm (answered in
  // CopyPartResult for the client's Complete, as AWS), else the default CRC64NVME.
  const verifier = new BodyVerifier({ length, compute: chosen?.algorithm ?? DEFAULT_CHECKSUM_ALGORITHM });
  const encrypted = upload.identity.encryption
    ? encryptedPart(...(await openUploadKey(ctx, upload)), partNumber, length, verifier)
    : null;
  const storedSize = encrypted?.storedSize ?? length;
  // As UploadPart: an unencrypted part's SHA-256 (the source's bytes, checked as they are read).
  const partHash = config.integrity.enabled && !encrypted ? new PlaintextHash() : null;
  if (!native && !(await ledger.claimPart(upload.uploadId, partNumber, storedSize, encrypted ? length : undefined))) throw new S3Error('InsufficientStorage');
  let backendEtag: string;
  try {
    if (length === 0) verifier.end();
    else {
      const stored = await planStoredRead(ctx, source, range);
      const plain = await openFirstCopy(ctx, source, found.locations, stored);
      pipeline(plain, verifier, () => {});
    }
    backendEtag = await client.uploadPart(upload.storageKey, upload.backendUploadId, partNumber,
      encrypted?.body ?? (partHash ? partHash.through(verifier) : verifier), storedSize);
  } catch (err) {
    // As for UploadPart: a part the backend started reading may be kept by it; its claim stays.
    if (!verifier.readableDidRead && !native) await ledger.releasePart(upload.uploadId, partNumber);
    verifier.destroy();
    if (err instanceof S3Error) throw err;
    logger.warn({ err, backend: upload.backendName, requestId: ctx.requestId }, 'part copy failed');
    throw new S3Error('ServiceUnavailable', { message: 'The storage backend failed while copying the part; please retry.' });
  }
  if (encrypted) countEncrypted(length);
  const etag = verifier.md5.toString('hex');
  const checksum = verifier.computed;
  await ledger.recordPart(upload.uploadId, partNumber, etag, backendEtag, storedSize, encrypted ? length : undefined, checksum, partHash?.hex());
  sendCopyPartResult(ctx, etag, chosen && checksum !== undefined ? checksumElement(chosen.algorithm, checksum) : undefined);
}

function sendCopyPartResult(ctx: RequestContext, etag: string, checksumXml: string | undefined): void {
  sendXml(ctx.reply, 200,
    `<?xml version="1.0" encoding="UTF-8"?><CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    `<LastModified>${new Date().toISOString()}</LastModified><ETag>&quot;${escapeXml(etag)}&quot;</ETag>${checksumXml ?? ''}</CopyPartResult>`);
}
