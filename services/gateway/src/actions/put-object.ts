// PutObject: everything checkable from headers is checked first, then the write path.
import { S3Error } from '@s3o/s3';
import { header, objectTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { sendEmpty } from '../http/respond.js';
import { openClientBody, readWhole } from '../write/body.js';
import { identityFromHeaders } from '../write/identity.js';
import { storeObject, type WriteSource } from '../write/store-object.js';

/** `If-None-Match: *` is the only conditional PUT S3 supports; other forms are refused. */
export function ifNoneMatchStar(ctx: RequestContext): boolean {
  const v = header(ctx.req, 'if-none-match');
  if (v === undefined) return false;
  if (v.trim() !== '*') throw new S3Error('NotImplemented', { message: 'If-None-Match on writes supports only "*".' });
  return true;
}

export async function putObject(ctx: RequestContext): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const { config, ledger } = ctx.deps;
  if (header(ctx.req, 'if-match') !== undefined) throw new S3Error('NotImplemented', { message: 'If-Match on writes is not supported.' });
  const identity = identityFromHeaders(ctx.req.headers);
  const onlyIfAbsent = ifNoneMatchStar(ctx);
  const body = openClientBody(ctx.req, ctx.auth, config.server.maxObjectSize, ctx.guards);
  if (onlyIfAbsent && (await ledger.getObject(internalKey(bucket, key)))) {
    throw new S3Error('PreconditionFailed', { extra: { Condition: 'If-None-Match' } });
  }
  // A replay buffer only while the process's memory budget has room; else the body streams
  // through (it then fails over only before its first byte).
  const buffered = body.length <= config.server.replayBufferBytes ? ctx.guards.memory.tryTake(body.length) : null;
  const source: WriteSource = buffered
    ? { kind: 'small', length: body.length, load: async () => ({ data: await readWhole(body), md5: body.stream.md5 }) }
    : { kind: 'stream', stream: body.stream, length: body.length, md5: () => body.stream.md5 };
  let result;
  try {
    result = await storeObject(ctx, { bucket, key, identity, source, contentMd5: body.contentMd5, ifNoneMatchStar: onlyIfAbsent, op: 'Put' });
  } finally {
    buffered?.();
  }
  ctx.reply.header('etag', `"${result.object.etag}"`);
  sendEmpty(ctx.reply, 200);
}
