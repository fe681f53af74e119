// DeleteObjects: up to 1000 keys in one request; each key is deleted on its own (the
// same core operation as DeleteObject) and reported as Deleted or Error. Always 200.
import { objectRemoved } from '@s3o/events';
import { S3Error, escapeXml, parseDeleteObjects } from '@s3o/s3';
import { bucketTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { sendXml } from '../http/respond.js';
import { openClientBody, readWhole } from '../write/body.js';
import { requestFacts } from '../write/request-facts.js';

const MAX_KEYS = 1000;
/** 1000 keys of 1024 bytes plus XML framing fit well within this. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export async function deleteObjects(ctx: RequestContext): Promise<void> {
  const bucket = bucketTarget(ctx);
  const body = openClientBody(ctx.req, ctx.auth, MAX_BODY_BYTES);
  const request = parseDeleteObjects((await readWhole(body)).toString('utf8'));
  if (request.keys.length > MAX_KEYS) throw new S3Error('MalformedXML');

  let out = '';
  for (const { key } of request.keys) {
    if (key === '' || Buffer.byteLength(key, 'utf8') > 1024) {
      out += `<Error><Key>${escapeXml(key)}</Key><Code>KeyTooLongError</Code><Message>Your key is too long</Message></Error>`;
      continue;
    }
    try {
      const objectKey = internalKey(bucket, key);
      await ctx.deps.ledger.deleteObject(objectKey, (o) => [objectRemoved('DeleteObjects', objectKey, o.removed, requestFacts(ctx))]);
      if (!request.quiet) out += `<Deleted><Key>${escapeXml(key)}</Key></Deleted>`;
    } catch (err) {
      ctx.deps.logger.error({ err, key, requestId: ctx.requestId }, 'delete in DeleteObjects failed');
      out += `<Error><Key>${escapeXml(key)}</Key><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`;
    }
  }
  sendXml(ctx.reply, 200, `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${out}</DeleteResult>`);
}
