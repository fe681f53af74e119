// Multipart uploads pass through to the pinned backend's own multipart upload (docs/architecture.md
// §6): no byte travels twice. The ledger keeps the parts (MD5 of the client's bytes),
// answers ListParts / ListMultipartUploads, and commits the object on Complete.
import { createHash } from 'node:crypto';
import { objectCreated } from '@s3o/events';
import { COMPLETE_MULTIPART_XML_LIMITS, S3Error, escapeXml, parseCompleteMultipartUpload } from '@s3o/s3';
import { newId, type MultipartPartRow, type MultipartUploadRow } from '@s3o/store';
import type { EnvelopeHeader } from '@s3o/crypto';
import { objectTarget, bucketTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { sendEmpty, sendXml } from '../http/respond.js';
import { pastPrefix } from '../read/list-walk.js';
import { openClientBody, withXmlBody } from '../write/body.js';
import { conditionFailureAnswer, writeConditions } from '../write/conditional-write.js';
import { identityFromHeaders } from '../write/identity.js';
import { rankBackends } from '../write/rank.js';
import { storageKeyFor } from '../write/storage-key.js';
import { backendMetadata } from '../write/backend-metadata.js';
import { restampCopies } from '../write/restamp.js';
import { completedHeader, countEncrypted, ENCRYPTION_METADATA, encryptedPart, planUploadEncryption } from '../write/encryption.js';
import { openDataKey } from '../read/stored-form.js';
import { requestFacts } from '../write/request-facts.js';
import { keyEncoder, parseMaxKeys } from './list-objects.js';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;
/** 10,000 parts of XML fit in this. */
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;

function uploadIdOf(ctx: RequestContext): string {
  return ctx.addr.query.get('uploadId') ?? '';
}

/** The upload named by the request, which must belong to the addressed key. */
export async function openUpload(ctx: RequestContext): Promise<MultipartUploadRow> {
  const { bucket, key } = objectTarget(ctx);
  const uploadId = uploadIdOf(ctx);
  const upload = uploadId === '' ? null : await ctx.deps.ledger.getUpload(uploadId);
  if (!upload || upload.objectKey !== internalKey(bucket, key)) throw new S3Error('NoSuchUpload', { extra: { UploadId: uploadId } });
  return upload;
}

/**
 * `buckets[].max_multipart_uploads`: a bucket with that many open uploads opens no more until
 * one is completed or aborted. AWS has no such limit; the answer is upstream's, 503 SlowDown,
 * which clients retry. Counted outside the opening transaction, so concurrent creates may
 * overshoot by the number racing — a guard against runaway clients, not a quota.
 */
async function refuseOverUploadLimit(ctx: RequestContext, bucket: string): Promise<void> {
  const limit = ctx.deps.config.buckets.find((b) => b.name === bucket)?.maxMultipartUploads ?? 0;
  if (limit === 0) return;
  const base = `${bucket}/`;
  const open = await ctx.deps.ledger.listUploads({ from: base, to: pastPrefix(base), limit });
  if (open.length >= limit) throw new S3Error('SlowDown', { message: 'Too many active multipart uploads' });
}

export async function createMultipartUpload(ctx: RequestContext): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const { ledger, backends, config, logger } = ctx.deps;
  await refuseOverUploadLimit(ctx, bucket);
  // Encrypted: one data key for the whole upload; each part is encrypted on its own way to the backend.
  const encryption = await planUploadEncryption(ctx.deps);
  const identity = { ...identityFromHeaders(ctx.req.headers), ...(encryption ? { encryption } : {}) };
  const uploadId = newId();
  const storageKey = storageKeyFor(bucket, key, uploadId);
  const quotas = new Map((await ledger.getQuotas()).map((q) => [q.backendName, q]));
  // A draining backend opens no new uploads (createUpload checks again in its transaction).
  const draining = new Set((await ledger.drains.listActiveDrains()).map((d) => d.backendName));
  const candidates = (await rankBackends(config, ledger, 0, ctx.deps.availability)).filter((name) => {
    if (draining.has(name)) return false;
    // A backend without a quota row was removed through the admin API; claims skip it too.
    const q = quotas.get(name);
    return q !== undefined && (q.bytesLimit === 0 || q.bytesLimit - q.bytesUsed - q.orphanBytes - q.inflightBytes > 0);
  });
  for (const backendName of candidates) {
    const client = backends.get(backendName);
    if (!client) continue;
    let backendUploadId: string;
    try {
      backendUploadId = await client.createMultipartUpload(storageKey, {
        contentType: identity.contentType, headers: identity.headers,
        // The size is known only at Complete.
        metadata: backendMetadata({ bucket, key, writeId: uploadId, etag: null, storedSize: null, tags: identity.tags }, identity.userMetadata,
          encryption ? { [ENCRYPTION_METADATA]: encryption } : {}),
      });
    } catch (err) {
      logger.warn({ err, backend: backendName, requestId: ctx.requestId }, 'backend refused a multipart upload, trying the next');
      continue;
    }
    if (!(await ledger.createUpload({ uploadId, objectKey: internalKey(bucket, key), backendName, backendUploadId, storageKey, identity }))) {
      logger.info({ backend: backendName, requestId: ctx.requestId }, 'backend started draining while an upload was opened on it, trying the next');
      continue;
    }
    sendXml(ctx.reply, 200,
      `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="${XMLNS}"><Bucket>${escapeXml(bucket)}</Bucket>` +
      `<Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
    return;
  }
  throw new S3Error('InsufficientStorage');
}

export function parsePartNumber(raw: string | null): number {
  const n = raw !== null && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error('InvalidArgument', { message: 'Part number must be an integer between 1 and 10000, inclusive', extra: { ArgumentName: 'partNumber', ArgumentValue: raw ?? '' } });
  }
  return n;
}

export async function uploadPart(ctx: RequestContext): Promise<void> {
  const partNumber = parsePartNumber(ctx.addr.query.get('partNumber'));
  const upload = await openUpload(ctx);
  const { ledger, backends, config, logger } = ctx.deps;
  const body = openClientBody(ctx.req, ctx.auth, Math.min(MAX_PART_SIZE, config.server.maxObjectSize), ctx.guards);
  const encrypted = upload.identity.encryption
    ? encryptedPart(...(await openUploadKey(ctx, upload)), partNumber, body.length, body.stream)
    : null;
  const storedSize = encrypted?.storedSize ?? body.length;
  if (!(await ledger.claimPart(upload.uploadId, partNumber, storedSize, encrypted ? body.length : undefined))) throw new S3Error('InsufficientStorage');
  const client = backends.get(upload.backendName);
  if (!client) throw new Error(`backend ${upload.backendName} has no client`);
  let backendEtag: string;
  try {
    // The client's MD5 is of the plaintext; an encrypted part's chunks carry GCM tags instead.
    backendEtag = await client.uploadPart(upload.storageKey, upload.backendUploadId, partNumber, encrypted?.body ?? body.stream, storedSize,
      { contentMd5: encrypted ? undefined : body.contentMd5 ?? undefined });
  } catch (err) {
    // A backend that read some of the body may keep it inside the upload (s3rver keeps a
    // cut-off part) until the upload is completed or aborted. So the part's claim stays —
    // its ETag unknown, Complete cannot name it — and is charged until then, as part of the
    // abort's debt if it comes to that. Only a part the backend never read is let go.
    if (!body.stream.readableDidRead) await ledger.releasePart(upload.uploadId, partNumber);
    if (err instanceof S3Error) throw err;
    logger.warn({ err, backend: upload.backendName, requestId: ctx.requestId }, 'backend part upload failed');
    throw new S3Error('ServiceUnavailable', { message: 'The storage backend failed while writing the part; please retry.' });
  }
  if (encrypted) countEncrypted(body.length);
  const etag = body.stream.md5.toString('hex');
  await ledger.recordPart(upload.uploadId, partNumber, etag, backendEtag, storedSize, encrypted ? body.length : undefined);
  ctx.reply.header('etag', `"${etag}"`);
  sendEmpty(ctx.reply, 200);
}

export async function openUploadKey(ctx: RequestContext, upload: MultipartUploadRow): Promise<[EnvelopeHeader, Buffer]> {
  const { header, dataKey } = await openDataKey(ctx, upload.identity.encryption!, upload.objectKey);
  return [header, dataKey];
}

/** What the client sent of a part (an encrypted part holds more on the backend). */
function plaintextSizeOf(part: MultipartPartRow): number {
  return part.plaintextSize ?? part.sizeBytes;
}

function stripQuotes(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '');
}

function completeResultXml(bucket: string, key: string, etag: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="${XMLNS}">` +
    `<Location>/${escapeXml(bucket)}/${escapeXml(key)}</Location><Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key>` +
    `<ETag>&quot;${escapeXml(etag)}&quot;</ETag></CompleteMultipartUploadResult>`;
}

/** The checks AWS makes on a Complete request, against the parts the ledger recorded. */
export function checkCompleteParts(named: Array<{ partNumber: number; etag: string }>, recorded: Map<number, MultipartPartRow>): MultipartPartRow[] {
  if (named.length === 0) throw new S3Error('MalformedXML');
  const chosen: MultipartPartRow[] = [];
  let previous = 0;
  for (const p of named) {
    if (p.partNumber <= previous) throw new S3Error('InvalidPartOrder');
    previous = p.partNumber;
    const part = recorded.get(p.partNumber);
    if (!part || part.etag === null || part.etag !== stripQuotes(p.etag)) {
      throw new S3Error('InvalidPart', { extra: { PartNumber: String(p.partNumber), ETag: p.etag } });
    }
    chosen.push(part);
  }
  chosen.slice(0, -1).forEach((part) => {
    if (plaintextSizeOf(part) < MIN_PART_SIZE) {
      throw new S3Error('EntityTooSmall', { extra: { PartNumber: String(part.partNumber), ProposedSize: String(plaintextSizeOf(part)), MinSizeAllowed: String(MIN_PART_SIZE) } });
    }
  });
  return chosen;
}

/** Client-facing multipart ETag: hex MD5 of the concatenated binary part MD5s, then `-N`. */
export function multipartEtag(parts: MultipartPartRow[]): string {
  const md5 = createHash('md5');
  for (const p of parts) md5.update(Buffer.from(p.etag ?? '', 'hex'));
  return `${md5.digest('hex')}-${parts.length}`;
}

export async function completeMultipartUpload(ctx: RequestContext): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const { ledger, backends } = ctx.deps;
  const uploadId = uploadIdOf(ctx);
  const upload = uploadId === '' ? null : await ledger.getUpload(uploadId);
  if (!upload || upload.objectKey !== internalKey(bucket, key)) {
    // A repeated Complete of an upload that already became this key's object: same answer.
    const existing = await ledger.getObject(internalKey(bucket, key));
    if (existing && uploadId !== '' && existing.object.writeId === uploadId) {
      sendXml(ctx.reply, 200, completeResultXml(bucket, key, existing.object.etag));
      return;
    }
    throw new S3Error('NoSuchUpload', { extra: { UploadId: uploadId } });
  }
  const conditions = await writeConditions(ctx, upload.objectKey);
  const body = openClientBody(ctx.req, ctx.auth, MAX_COMPLETE_BODY_BYTES, ctx.guards);
  const named = await withXmlBody(body, ctx.guards, COMPLETE_MULTIPART_XML_LIMITS, parseCompleteMultipartUpload);
  const recorded = new Map((await ledger.listParts(uploadId)).map((p) => [p.partNumber, p]));
  const parts = checkCompleteParts(named, recorded);
  const etag = multipartEtag(parts);

  const client = backends.get(upload.backendName);
  if (!client) throw new Error(`backend ${upload.backendName} has no client`);
  try {
    await client.completeMultipartUpload(upload.storageKey, upload.backendUploadId,
      parts.map((p) => ({ partNumber: p.partNumber, etag: p.backendEtag ?? '' })));
  } catch (err) {
    ctx.deps.logger.warn({ err, backend: upload.backendName, requestId: ctx.requestId }, 'backend complete failed');
    throw new S3Error('ServiceUnavailable', { message: 'The storage backend failed to complete the upload; please retry.' });
  }
  let completed;
  try {
    completed = await ledger.completeMultipart({
      uploadId, objectKey: upload.objectKey, parts: parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag ?? '' })), finalEtag: etag,
      ...(upload.identity.encryption
        ? { encryption: completedHeader(upload.identity.encryption, parts.map((p) => ({ partNumber: p.partNumber, plaintextSize: plaintextSizeOf(p) }))) }
        : {}),
      ifNoneMatchStar: conditions.ifNoneMatchStar, ...(conditions.ifWriteId !== undefined ? { ifWriteId: conditions.ifWriteId } : {}),
      events: (c) => [objectCreated('CompleteMultipartUpload', c, requestFacts(ctx))],
    });
  } catch (err) {
    throw conditionFailureAnswer(err) ?? err;
  }
  // The backend object was opened before its ETag, size and part layout were known: it is
  // told them now, before the client is, so a ledger rebuild finds them (write/restamp.ts).
  await restampCopies(ctx.deps, upload.objectKey, uploadId, completed.sequencer);
  sendXml(ctx.reply, 200, completeResultXml(bucket, key, etag));
}

export async function abortMultipartUpload(ctx: RequestContext): Promise<void> {
  const upload = await openUpload(ctx);
  if (!(await ctx.deps.ledger.abortMultipart(upload.uploadId, 'aborted by client'))) {
    throw new S3Error('NoSuchUpload', { extra: { UploadId: upload.uploadId } });
  }
  sendEmpty(ctx.reply, 204);
}

function owner(ctx: RequestContext): string {
  const id = escapeXml(ctx.auth.accessKeyId);
  return `<ID>${id}</ID><DisplayName>${id}</DisplayName>`;
}

export async function listParts(ctx: RequestContext): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const upload = await openUpload(ctx);
  const q = ctx.addr.query;
  const maxParts = parseMaxKeys(q.get('max-parts'), 'max-parts');
  const markerRaw = q.get('part-number-marker') ?? '0';
  if (!/^\d+$/.test(markerRaw)) throw new S3Error('InvalidArgument', { extra: { ArgumentName: 'part-number-marker', ArgumentValue: markerRaw } });
  const marker = Number(markerRaw);
  const all = (await ctx.deps.ledger.listParts(upload.uploadId)).filter((p) => p.etag !== null && p.partNumber > marker);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  const last = page[page.length - 1];
  const partsXml = page.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${new Date(p.createdAt).toISOString()}</LastModified>` +
    `<ETag>&quot;${p.etag}&quot;</ETag><Size>${plaintextSizeOf(p)}</Size></Part>`).join('');
  sendXml(ctx.reply, 200,
    `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="${XMLNS}"><Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key>` +
    `<UploadId>${upload.uploadId}</UploadId><Initiator>${owner(ctx)}</Initiator><Owner>${owner(ctx)}</Owner><StorageClass>STANDARD</StorageClass>` +
    `<PartNumberMarker>${marker}</PartNumberMarker>${last ? `<NextPartNumberMarker>${last.partNumber}</NextPartNumberMarker>` : ''}` +
    `<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>${partsXml}</ListPartsResult>`);
}

export async function listMultipartUploads(ctx: RequestContext): Promise<void> {
  const bucket = bucketTarget(ctx);
  const q = ctx.addr.query;
  const enc = keyEncoder(q);
  const prefix = q.get('prefix') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = q.get('upload-id-marker') ?? '';
  const maxUploads = parseMaxKeys(q.get('max-uploads'), 'max-uploads');
  const base = `${bucket}/`;
  const afterMarker = keyMarker !== '' && Buffer.compare(Buffer.from(keyMarker), Buffer.from(prefix)) >= 0;
  const from = afterMarker ? base + keyMarker + (uploadIdMarker === '' ? '\u0000' : '') : base + prefix;
  const rows = maxUploads === 0 ? [] : await ctx.deps.ledger.listUploads({
    from, to: pastPrefix(base + prefix), limit: maxUploads + 1,
    afterUploadId: afterMarker && uploadIdMarker !== '' ? uploadIdMarker : null,
  });
  const page = rows.slice(0, maxUploads);
  const truncated = rows.length > page.length;
  const last = page[page.length - 1];
  const uploadsXml = page.map((u) => `<Upload><Key>${enc(u.objectKey.slice(base.length))}</Key><UploadId>${u.uploadId}</UploadId>` +
    `<Initiator>${owner(ctx)}</Initiator><Owner>${owner(ctx)}</Owner><StorageClass>STANDARD</StorageClass>` +
    `<Initiated>${new Date(u.createdAt).toISOString()}</Initiated></Upload>`).join('');
  sendXml(ctx.reply, 200,
    `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="${XMLNS}"><Bucket>${escapeXml(bucket)}</Bucket>` +
    `<KeyMarker>${enc(keyMarker)}</KeyMarker><UploadIdMarker>${escapeXml(uploadIdMarker)}</UploadIdMarker>` +
    (truncated && last ? `<NextKeyMarker>${enc(last.objectKey.slice(base.length))}</NextKeyMarker><NextUploadIdMarker>${last.uploadId}</NextUploadIdMarker>` : '') +
    `<Prefix>${enc(prefix)}</Prefix><MaxUploads>${maxUploads}</MaxUploads><IsTruncated>${truncated}</IsTruncated>${uploadsXml}</ListMultipartUploadsResult>`);
}

