// DeleteObjects: up to 1000 keys in one request; each key is deleted on its own (the
// same core operation as DeleteObject) and reported as Deleted or Error. Always 200.
import { objectRemoved } from '@s3o/events';
import { DELETE_OBJECTS_XML_LIMITS, S3Error, escapeXml, parseDeleteObjects } from '@s3o/s3';
import { bucketTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { sendXml } from '../http/respond.js';
import { openClientBody, withXmlBody } from '../write/body.js';
import { deleteWithMarkers } from '../write/delete-with-markers.js';
import { requestFacts } from '../write/request-facts.js';

const MAX_KEYS = 1000;
/** 1000 keys of 1024 bytes plus XML framing fit well within this. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * AWS requires DeleteObjects to carry an integrity check of its body — Content-MD5 or an
 * x-amz-checksum-* (as a header, or announced in x-amz-trailer) — whatever the signature
 * covers: an unsigned body (UNSIGNED-PAYLOAD, presigned) could otherwise be swapped for
 * another list of keys in transit.
 */
function requireBodyChecksum(ctx: RequestContext): void {
  const headers = ctx.req.headers;
  if (headers['content-md5'] !== undefined) return;
  if (Object.keys(headers).some((name) => name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-type')) return;
  if (typeof headers['x-amz-trailer'] === 'string' && headers['x-amz-trailer'].toLowerCase().includes('x-amz-checksum-')) return;
  throw new S3Error('InvalidRequest', { message: 'Missing required header for this request: Content-MD5' });
}

export async function deleteObjects(ctx: RequestContext): Promise<void> {
  const bucket = bucketTarget(ctx);
  requireBodyChecksum(ctx);
  const body = openClientBody(ctx.req, ctx.auth, MAX_BODY_BYTES, ctx.guards);
  const request = await withXmlBody(body, ctx.guards, DELETE_OBJECTS_XML_LIMITS, parseDeleteObjects);
  if (request.keys.length > MAX_KEYS) throw new S3Error('MalformedXML');

  let out = '';
  for (const { key } of request.keys) {
    if (key === '' || Buffer.byteLength(key, 'utf8') > 1024) {
      out += `<Error><Key>${escapeXml(key)}</Key><Code>KeyTooLongError</Code><Message>Your key is too long</Message></Error>`;
      continue;
    }
    try {
      const objectKey = internalKey(bucket, key);
      await deleteWithMarkers(ctx.deps, objectKey, (o) => [objectRemoved('DeleteObjects', objectKey, o.removed, requestFacts(ctx))]);
      if (!request.quiet) out += `<Deleted><Key>${escapeXml(key)}</Key></Deleted>`;
    } catch (err) {
      ctx.deps.logger.error({ err, key, requestId: ctx.requestId }, 'delete in DeleteObjects failed');
      out += `<Error><Key>${escapeXml(key)}</Key><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`;
    }
  }
  sendXml(ctx.reply, 200, `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${out}</DeleteResult>`);
}
