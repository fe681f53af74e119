// CopyObject, within a bucket or between two (`read` on the source, `write` on the target): the source's bytes are streamed from one of its
// copies into a fresh write (own storage key, own claim), with metadata copied or replaced.
import { pipeline, type Readable } from 'node:stream';
import type { LocationRow, ObjectRow, StoredChecksum } from '@s3o/store';
import { BodyVerifier, S3Error, escapeXml, parseTaggingHeader } from '@s3o/s3';
import { header, objectTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { sendXml } from '../http/respond.js';
import { checkConditions } from '../read/conditions.js';
import { openFirstCopy } from '../read/open-copy.js';
import { planStoredRead } from '../read/stored-form.js';
import { writeConditions } from '../write/conditional-write.js';
import { identityFromHeaders, type IdentityBase } from '../write/identity.js';
import { storeObject, type WriteSource } from '../write/store-object.js';
import { authorizeBucket } from '../authorize.js';

/** `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optional `?versionId=`. */
export function parseCopySource(raw: string): { bucket: string; key: string } {
  let value = raw;
  const q = value.indexOf('?');
  if (q !== -1) {
    const versionId = new URLSearchParams(value.slice(q + 1)).get('versionId');
    if (versionId !== null && versionId !== 'null') throw new S3Error('NotImplemented', { message: 'Versioned copy sources are not supported.' });
    value = value.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw new S3Error('InvalidArgument', { message: 'Invalid copy source encoding', extra: { ArgumentName: 'x-amz-copy-source' } });
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error('InvalidArgument', { message: 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', extra: { ArgumentName: 'x-amz-copy-source' } });
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

export async function copyObject(ctx: RequestContext): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const { config } = ctx.deps;
  const src = parseCopySource(header(ctx.req, 'x-amz-copy-source') ?? '');
  // `write` on the target was checked with the action (authorize.ts); the source needs `read`.
  authorizeBucket(ctx.identity.registry, ctx.principal.user, src.bucket, 'read');

  const directive = (header(ctx.req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', { message: 'Unknown metadata directive.', extra: { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive } });
  }
  const conditions = await writeConditions(ctx, internalKey(bucket, key));
  const found = await copySourceObject(ctx, src);
  const source = found.object;
  if (src.bucket === bucket && src.key === key && directive === 'COPY') {
    throw new S3Error('InvalidRequest', { message: "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes." });
  }
  if (source.size > config.server.maxObjectSize) throw new S3Error('EntityTooLarge');

  const taggingDirective = (header(ctx.req, 'x-amz-tagging-directive') ?? 'COPY').toUpperCase();
  if (taggingDirective !== 'COPY' && taggingDirective !== 'REPLACE') {
    throw new S3Error('InvalidArgument', { message: 'Unknown tagging directive.', extra: { ArgumentName: 'x-amz-tagging-directive', ArgumentValue: taggingDirective } });
  }
  const identity: IdentityBase = directive === 'REPLACE'
    ? identityFromHeaders(ctx.req.headers)
    // A composite hash describes the source's parts, which the copy does not have; the write
    // path records the copy's own whole SHA-256 (its bytes were checked part by part as read).
    : { contentType: source.contentType, userMetadata: source.userMetadata, headers: source.headers, contentHash: source.partHashes ? null : source.contentHash ?? null };
  // Tags follow their own directive: the source's (COPY, the default) or x-amz-tagging's.
  identity.tags = taggingDirective === 'REPLACE' ? parseTaggingHeader(header(ctx.req, 'x-amz-tagging')) : { ...(source.tags ?? {}) };

  const open = async (): Promise<{ stream: Readable; verifier: BodyVerifier }> => {
    // An encrypted source is decrypted (each chunk authenticated) and the copy encrypted
    // afresh by the write path, under a data key of its own.
    const stored = await planStoredRead(ctx, source, null);
    const raw = source.size === 0 ? null : await openFirstCopy(ctx, source, found.locations, stored);
    const verifier = new BodyVerifier({ length: source.size });
    if (raw === null) {
      verifier.end();
      return { stream: verifier, verifier };
    }
    return { stream: pipeline(raw, verifier, () => {}), verifier };
  };
  let write: WriteSource;
  if (source.size <= config.server.replayBufferBytes) {
    write = {
      kind: 'small', length: source.size,
      load: async () => {
        const { stream, verifier } = await open();
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        return { data: Buffer.concat(chunks, source.size), md5: verifier.md5 };
      },
    };
  } else {
    const { stream, verifier } = await open();
    write = { kind: 'stream', stream, length: source.size, md5: () => verifier.md5 };
  }
  // The copy holds the same bytes, so a whole-object checksum still describes them (a
  // COMPOSITE one describes the source's parts, which the copy does not have, and so do the
  // per-part values). The gateway's default CRC64NVME travels this way too.
  const checksum: StoredChecksum | undefined = source.checksum?.type === 'FULL_OBJECT' && source.checksum.value
    ? { algorithm: source.checksum.algorithm, type: 'FULL_OBJECT', value: source.checksum.value }
    : undefined;
  const result = await storeObject(ctx, { bucket, key, identity, source: write, contentMd5: null, conditions, op: 'Copy', checksum: () => checksum });
  sendXml(ctx.reply, 200,
    `<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    `<LastModified>${new Date(result.object.createdAt).toISOString()}</LastModified><ETag>&quot;${escapeXml(result.object.etag)}&quot;</ETag></CopyObjectResult>`);
}

/**
 * The object a copy reads (CopyObject, UploadPartCopy), once the copy-source conditions
 * (x-amz-copy-source-if-*) hold: every failed one is a 412, including those a GET answers
 * with 304.
 */
export async function copySourceObject(ctx: RequestContext, src: { bucket: string; key: string }): Promise<{ object: ObjectRow; locations: LocationRow[] }> {
  const found = await ctx.deps.ledger.getObject(internalKey(src.bucket, src.key));
  if (!found) throw new S3Error('NoSuchKey', { extra: { Key: src.key } });
  try {
    checkConditions({
      ifMatch: header(ctx.req, 'x-amz-copy-source-if-match'),
      ifNoneMatch: header(ctx.req, 'x-amz-copy-source-if-none-match'),
      ifModifiedSince: header(ctx.req, 'x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: header(ctx.req, 'x-amz-copy-source-if-unmodified-since'),
    }, found.object.etag, found.object.createdAt);
  } catch (err) {
    if (err instanceof S3Error && err.code === 'NotModified') throw new S3Error('PreconditionFailed');
    throw err;
  }
  return found;
}
