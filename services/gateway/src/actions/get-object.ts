// GetObject and HeadObject. HEAD answers from the ledger alone; GET streams from the
// first healthy copy and fails over to the next copy until one answers. Without the
// database, both answer from the copy found on the backends (degraded/).
import { S3Error } from '@s3o/s3';
import type { LocationRow, ObjectRow } from '@s3o/store';
import { openFirstCopy } from '../read/open-copy.js';
import { header, objectTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { checkConditions, ifRangeHolds, parseRange, type ByteRange } from '../read/conditions.js';
import { checkResponseOverrides, setChecksumAnswer, setObjectHeaders } from '../read/object-headers.js';
import { partRead } from '../read/part-number.js';
import { DatabaseUnavailableError } from '../degraded/database-breaker.js';
import { planStoredRead } from '../read/stored-form.js';

/** The object and its copies, from the ledger, or (database down) from the backends. */
export async function lookupObject(ctx: RequestContext): Promise<{ object: ObjectRow; locations: LocationRow[] }> {
  const { bucket, key } = objectTarget(ctx);
  let found: { object: ObjectRow; locations: LocationRow[] } | null;
  try {
    found = await ctx.deps.ledger.getObject(internalKey(bucket, key));
  } catch (err) {
    if (err instanceof DatabaseUnavailableError) return ctx.degraded.lookup(bucket, key, ctx.requestId);
    throw err;
  }
  if (!found) throw new S3Error('NoSuchKey', { extra: { Key: key } });
  return found;
}

/** `?partNumber=N`: the answer is a part, which the object's checksum does not cover. */
function partRequested(ctx: RequestContext): boolean {
  return ctx.addr.query.has('partNumber');
}

/** The bytes to answer with (null = all), after the conditions; `?partNumber=N` sets `x-amz-mp-parts-count`. */
function evaluate(ctx: RequestContext, object: ObjectRow): ByteRange | null {
  const h = (n: string) => header(ctx.req, n);
  const part = partRead(ctx.addr.query, h('range'), object);
  checkConditions(
    { ifMatch: h('if-match'), ifNoneMatch: h('if-none-match'), ifModifiedSince: h('if-modified-since'), ifUnmodifiedSince: h('if-unmodified-since') },
    object.etag, object.createdAt,
  );
  if (part) {
    if (part.partsCount !== null) ctx.reply.header('x-amz-mp-parts-count', String(part.partsCount));
    return part.range.end >= part.range.start ? part.range : null;
  }
  if (!ifRangeHolds(h('if-range'), object.etag, object.createdAt)) return null;
  return parseRange(h('range'), object.size);
}

export async function headObject(ctx: RequestContext): Promise<void> {
  checkResponseOverrides(ctx.addr.query);
  const { object } = await lookupObject(ctx);
  const range = evaluate(ctx, object);
  setObjectHeaders(ctx.reply, object, ctx.addr.query);
  setChecksumAnswer(ctx.reply, object, header(ctx.req, 'x-amz-checksum-mode'), range === null && !partRequested(ctx));
  if (range) {
    ctx.reply.header('content-range', `bytes ${range.start}-${range.end}/${object.size}`);
    ctx.reply.code(206).header('content-length', range.end - range.start + 1).send();
  } else {
    ctx.reply.code(200).header('content-length', object.size).send();
  }
}

export async function getObject(ctx: RequestContext): Promise<void> {
  checkResponseOverrides(ctx.addr.query);
  const { object, locations } = await lookupObject(ctx);
  const range = evaluate(ctx, object);
  const length = range ? range.end - range.start + 1 : object.size;
  const status = range ? 206 : 200;

  if (object.size === 0) {
    setObjectHeaders(ctx.reply, object, ctx.addr.query);
    setChecksumAnswer(ctx.reply, object, header(ctx.req, 'x-amz-checksum-mode'), !partRequested(ctx));
    ctx.reply.code(200).header('content-length', 0).send();
    return;
  }
  const stored = await planStoredRead(ctx, object, range);
  const body = await openFirstCopy(ctx, object, locations, stored);
  setObjectHeaders(ctx.reply, object, ctx.addr.query);
  setChecksumAnswer(ctx.reply, object, header(ctx.req, 'x-amz-checksum-mode'), range === null && !partRequested(ctx));
  if (range) ctx.reply.header('content-range', `bytes ${range.start}-${range.end}/${object.size}`);
  ctx.reply.code(status).header('content-length', length);
  // If the backend stream breaks after the headers went out, the client sees a short
  // body (the connection is destroyed) rather than a silently truncated object.
  body.once('error', (err) => ctx.deps.logger.warn({ err, requestId: ctx.requestId }, 'backend stream failed mid-body'));
  await ctx.reply.send(body);
}
