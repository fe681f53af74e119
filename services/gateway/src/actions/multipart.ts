// Multipart uploads pass through to the pinned backend's own multipart upload (docs/architecture.md
// §6): no byte travels twice. The ledger keeps the parts (MD5 of the client's bytes),
// answers ListParts / ListMultipartUploads, and commits the object on Complete.
import { createHash } from 'node:crypto';
import { mayHaveBeenCarriedOut } from '@s3o/backends';
import { objectCreated } from '@s3o/events';
import {
  COMPLETE_MULTIPART_XML_LIMITS, S3Error, checksumDisplayName, checksumMismatchError, escapeXml, multipartChecksum, parseCompleteMultipartUpload,
} from '@s3o/s3';
import { newId, TooManyUploadsError, type MultipartPartRow, type MultipartUploadRow, type StoredChecksum } from '@s3o/store';
import type { EnvelopeHeader } from '@s3o/crypto';
import { header, objectTarget, bucketTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { sendEmpty, sendXml } from '../http/respond.js';
import { pastPrefix } from '../read/list-walk.js';
import { DEFAULT_CHECKSUM_ALGORITHM, openClientBody, withXmlBody } from '../write/body.js';
import { conditionFailureAnswer, writeConditions } from '../write/conditional-write.js';
import { identityFromHeaders } from '../write/identity.js';
import { rankBackends } from '../write/rank.js';
import { storageKeyFor } from '../write/storage-key.js';
import { backendMetadata } from '../write/backend-metadata.js';
import { restampCopies } from '../write/restamp.js';
import { completedHeader, countEncrypted, ENCRYPTION_METADATA, encryptedPart, planUploadEncryption } from '../write/encryption.js';
import { openDataKey } from '../read/stored-form.js';
import { checksumElement, requirePartChecksum, setChecksumHeaders, uploadChecksumChoice } from '../write/checksum.js';
import { requestFacts } from '../write/request-facts.js';
import { PlaintextHash } from '../write/plaintext-hash.js';
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
 * which clients retry. Counted here first (no backend upload is started for a request that
 * would be refused) and again, with the insert, in createUpload's transaction, so concurrent
 * creates never overshoot it.
 */
function uploadLimitOf(ctx: RequestContext, bucket: string): { from: string; to: string; limit: number } | null {
  const limit = ctx.deps.config.buckets.find((b) => b.name === bucket)?.maxMultipartUploads ?? 0;
  if (limit === 0) return null;
  const base = `${bucket}/`;
  return { from: base, to: pastPrefix(base), limit };
}

async function refuseOverUploadLimit(ctx: RequestContext, limit: { from: string; to: string; limit: number } | null): Promise<void> {
  if (!limit) return;
  const open = await ctx.deps.ledger.listUploads({ from: limit.from, to: limit.to, limit: limit.limit });
  if (open.length >= limit.limit) throw tooManyUploads();
}

function tooManyUploads(): S3Error {
  return new S3Error('SlowDown', { message: 'Too many active multipart uploads' });
}

export async function createMultipartUpload(ctx: RequestContext): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const { ledger, backends, config, logger } = ctx.deps;
  const checksum = uploadChecksumChoice(ctx.req.headers);
  const uploadLimit = uploadLimitOf(ctx, bucket);
  await refuseOverUploadLimit(ctx, uploadLimit);
  // Encrypted: one data key for the whole upload; each part is encrypted on its own way to the backend.
  const encryption = await planUploadEncryption(ctx.deps);
  const identity = { ...identityFromHeaders(ctx.req.headers), ...(encryption ? { encryption } : {}), ...(checksum ? { checksum } : {}) };
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
      // The backend may have opened the upload and its answer been lost (a reset or a
      // timeout after the request went out): an upload nobody would ever abort. It is owed
      // by its storage key alone — cleanup finds it by listing the key's uploads.
      if (mayHaveBeenCarriedOut(err)) await oweUpload(ctx, backendName, storageKey, null, 'multipart upload opened, answer lost');
      logger.warn({ err, backend: backendName, requestId: ctx.requestId }, 'backend refused a multipart upload, trying the next');
      continue;
    }
    let created: boolean;
    try {
      created = await ledger.createUpload({
        uploadId, objectKey: internalKey(bucket, key), backendName, backendUploadId, storageKey, identity, ...(uploadLimit ? { maxOpenUploads: uploadLimit } : {}),
      });
    } catch (err) {
      // Another create took the last place while this one opened its backend upload (now owed).
      if (err instanceof TooManyUploadsError) throw tooManyUploads();
      throw err;
    }
    if (!created) {
      logger.info({ backend: backendName, requestId: ctx.requestId }, 'backend started draining while an upload was opened on it, trying the next');
      continue;
    }
    if (checksum) {
      ctx.reply.header('x-amz-checksum-algorithm', checksumDisplayName(checksum.algorithm));
      ctx.reply.header('x-amz-checksum-type', checksum.type);
    }
    sendXml(ctx.reply, 200,
      `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="${XMLNS}"><Bucket>${escapeXml(bucket)}</Bucket>` +
      `<Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
    return;
  }
  throw new S3Error('InsufficientStorage');
}

/** An upload opened on a backend that no ledger row names: a debt (no bytes), aborted by cleanup. */
async function oweUpload(ctx: RequestContext, backendName: string, storageKey: string, backendUploadId: string | null, reason: string): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  await ctx.deps.ledger.enqueueCleanup([{
    kind: 'multipart_upload', backendName, storageKey, backendUploadId, objectKey: internalKey(bucket, key), reason, sizeBytes: 0,
  }]);
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
  // An upload that chose no algorithm gets the default CRC64NVME of each part, so Complete can
  // combine them into the object's FULL_OBJECT one (as AWS does since 2025).
  const body = openClientBody(ctx.req, ctx.auth, Math.min(MAX_PART_SIZE, config.server.maxObjectSize), ctx.guards,
    { defaultChecksum: !upload.identity.checksum });
  requirePartChecksum(upload.identity.checksum, body.checksumAlgorithm);
  const encrypted = upload.identity.encryption
    ? encryptedPart(...(await openUploadKey(ctx, upload)), partNumber, body.length, body.stream)
    : null;
  const storedSize = encrypted?.storedSize ?? body.length;
  // integrity.enabled: an unencrypted part's SHA-256, for the object's part hashes and composite
  // (docs/architecture.md, "Integrity"); an encrypted one's chunks carry GCM tags instead.
  const partHash = config.integrity.enabled && !encrypted ? new PlaintextHash() : null;
  if (!(await ledger.claimPart(upload.uploadId, partNumber, storedSize, encrypted ? body.length : undefined))) throw new S3Error('InsufficientStorage');
  const client = backends.get(upload.backendName);
  if (!client) throw new Error(`backend ${upload.backendName} has no client`);
  let backendEtag: string;
  try {
    // The client's MD5 is of the plaintext; an encrypted part's chunks carry GCM tags instead.
    const sent = encrypted?.body ?? (partHash ? partHash.through(body.stream) : body.stream);
    backendEtag = await client.uploadPart(upload.storageKey, upload.backendUploadId, partNumber, sent, storedSize,
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
  // Recorded only in the upload's algorithm (the one Complete derives the object's from):
  // the chosen one, or for an upload without one the default CRC64NVME (body.ts).
  const sent = body.checksum();
  const chosenAlgorithm = upload.identity.checksum?.algorithm;
  const checksum = chosenAlgorithm ? (sent?.algorithm === chosenAlgorithm ? sent.value : undefined) : body.defaultChecksum() ?? undefined;
  await ledger.recordPart(upload.uploadId, partNumber, etag, backendEtag, storedSize, encrypted ? body.length : undefined, checksum, partHash?.hex());
  ctx.reply.header('etag', `"${etag}"`);
  // Echoed as AWS does (the SDK hands it back in the Complete request).
  if (sent) setChecksumHeaders(ctx.reply, { algorithm: sent.algorithm, type: 'FULL_OBJECT', value: sent.value }, false);
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

function completeResultXml(bucket: string, key: string, etag: string, checksum: StoredChecksum | undefined): string {
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="${XMLNS}">` +
    `<Location>/${escapeXml(bucket)}/${escapeXml(key)}</Location><Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key>` +
    `<ETag>&quot;${escapeXml(etag)}&quot;</ETag>` +
    (checksum?.value ? `${checksumElement(checksum.algorithm, checksum.value)}<ChecksumType>${checksum.type}</ChecksumType>` : '') +
    `</CompleteMultipartUploadResult>`;
}

/**
 * The completed object's checksum, from the chosen parts' (AWS's rules): a COMPOSITE upload's
 * Complete must list every part's checksum; any listed must match the recorded one; a
 * FULL_OBJECT one may send the whole object's in `x-amz-checksum-<alg>` to have it checked.
 * The parts' values are kept with it (GetObjectAttributes lists them). An upload that chose no
 * algorithm gets the default FULL_OBJECT CRC64NVME combined from its parts' (no part listed).
 * A part without a recorded checksum (copied in by UploadPartCopy) leaves the object without one.
 */
export function completedChecksum(chosen: StoredChecksum | undefined, parts: MultipartPartRow[],
  named: Array<{ partNumber: number; etag: string; checksums?: Partial<Record<string, string>> }>, sentWhole: string | undefined): StoredChecksum | undefined {
  if (!chosen) {
    if (parts.some((p) => p.checksum === undefined)) return undefined;
    const value = multipartChecksum(DEFAULT_CHECKSUM_ALGORITHM, 'FULL_OBJECT', parts.map((p) => ({ value: p.checksum!, size: plaintextSizeOf(p) })));
    return { algorithm: DEFAULT_CHECKSUM_ALGORITHM, type: 'FULL_OBJECT', value };
  }
  const byNumber = new Map(named.map((n) => [n.partNumber, n]));
  for (const part of parts) {
    const listed = byNumber.get(part.partNumber)?.checksums?.[chosen.algorithm];
    if (listed === undefined) {
      if (chosen.type === 'COMPOSITE') {
        throw new S3Error('InvalidRequest', {
          message: `The upload was created using a ${chosen.algorithm} checksum. The complete request must include the checksum for each part. It was missing for part ${part.partNumber} in the request.`,
        });
      }
      continue;
    }
    if (part.checksum !== undefined && listed !== part.checksum) {
      throw new S3Error('InvalidPart', { extra: { PartNumber: String(part.partNumber), ETag: part.etag ?? '' } });
    }
  }
  if (parts.some((p) => p.checksum === undefined)) return undefined;
  const value = multipartChecksum(chosen.algorithm, chosen.type, parts.map((p) => ({ value: p.checksum!, size: plaintextSizeOf(p) })));
  if (sentWhole !== undefined && chosen.type === 'FULL_OBJECT' && sentWhole !== value) throw checksumMismatchError(chosen.algorithm);
  return { algorithm: chosen.algorithm, type: chosen.type, value, parts: parts.map((p) => p.checksum!) };
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
      sendXml(ctx.reply, 200, completeResultXml(bucket, key, existing.object.etag, existing.object.checksum));
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
  const chosen = upload.identity.checksum;
  const checksum = completedChecksum(chosen, parts, named, chosen ? header(ctx.req, `x-amz-checksum-${chosen.algorithm}`) : undefined);

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
      ...(checksum ? { checksum } : {}),
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
  sendXml(ctx.reply, 200, completeResultXml(bucket, key, etag, checksum));
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
  const chosen = upload.identity.checksum;
  const partsXml = page.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${new Date(p.createdAt).toISOString()}</LastModified>` +
    `<ETag>&quot;${p.etag}&quot;</ETag><Size>${plaintextSizeOf(p)}</Size>` +
    (chosen && p.checksum !== undefined ? checksumElement(chosen.algorithm, p.checksum) : '') + `</Part>`).join('');
  const checksumXml = chosen ? `<ChecksumAlgorithm>${checksumDisplayName(chosen.algorithm)}</ChecksumAlgorithm><ChecksumType>${chosen.type}</ChecksumType>` : '';
  sendXml(ctx.reply, 200,
    `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="${XMLNS}"><Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key>` +
    `<UploadId>${upload.uploadId}</UploadId><Initiator>${owner(ctx)}</Initiator><Owner>${owner(ctx)}</Owner><StorageClass>STANDARD</StorageClass>` +
    `<PartNumberMarker>${marker}</PartNumberMarker>${last ? `<NextPartNumberMarker>${last.partNumber}</NextPartNumberMarker>` : ''}` +
    `<MaxParts>${maxParts}</MaxParts><IsTruncated>${truncated}</IsTruncated>${checksumXml}${partsXml}</ListPartsResult>`);
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

