// PutObject: everything checkable from headers is checked first, then the write path.
import { objectTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { sendEmpty } from '../http/respond.js';
import { openClientBody, readWhole } from '../write/body.js';
import { writeConditions } from '../write/conditional-write.js';
import { identityFromHeaders } from '../write/identity.js';
import { setChecksumHeaders, wholeObjectChecksum } from '../write/checksum.js';
import { spillBody } from '../write/spill.js';
import { storeObject, type WriteSource } from '../write/store-object.js';

export async function putObject(ctx: RequestContext): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const { config } = ctx.deps;
  const identity = identityFromHeaders(ctx.req.headers);
  const body = openClientBody(ctx.req, ctx.auth, config.server.maxObjectSize, ctx.guards, { defaultChecksum: true });
  const conditions = await writeConditions(ctx, internalKey(bucket, key));
  // A replay buffer only while the process's memory budget has room; else the body streams
  // through (it then fails over only before its first byte).
  const buffered = body.length <= config.server.replayBufferBytes ? ctx.guards.memory.tryTake(body.length) : null;
  // Larger bodies stream through, unless server.spill_dir spools them to disk for failover.
  const spilled = !buffered && config.server.spillDir !== null && body.length > 0 ? await spillBody(config.server.spillDir, body) : null;
  const source: WriteSource = buffered
    ? { kind: 'small', length: body.length, load: async () => ({ data: await readWhole(body), md5: body.stream.md5 }) }
    : spilled
      ? { kind: 'replayable', length: body.length, open: spilled.open, md5: spilled.md5 }
      : { kind: 'stream', stream: body.stream, length: body.length, md5: () => body.stream.md5 };
  let result;
  try {
    result = await storeObject(ctx, {
      bucket, key, identity, source, contentMd5: body.contentMd5, conditions, op: 'Put', checksum: () => wholeObjectChecksum(body.checksum(), body.defaultChecksum()),
    });
  } finally {
    buffered?.();
    await spilled?.release();
  }
  ctx.reply.header('etag', `"${result.object.etag}"`);
  setChecksumHeaders(ctx.reply, result.object.checksum);
  sendEmpty(ctx.reply, 200);
}
