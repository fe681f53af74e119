// Get/Put/DeleteObjectTagging: the tag set of the object that is there, kept in the ledger
// (docs/architecture.md §4, "Tables"). A change is one transaction under the key lock with its
// object.tagging event (s3:ObjectTagging:Put / :Delete for notifications).
import { objectTagging } from '@s3o/events';
import { MAX_TAGGING_BODY_BYTES, S3Error, TAGGING_XML_LIMITS, parseTaggingXml, taggingXml, type TagSet } from '@s3o/s3';
import { objectTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { sendEmpty, sendXml } from '../http/respond.js';
import { openClientBody, withXmlBody } from '../write/body.js';
import { requestFacts } from '../write/request-facts.js';
import { restampCopies } from '../write/restamp.js';

export async function getObjectTagging(ctx: RequestContext): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const found = await ctx.deps.ledger.getObject(internalKey(bucket, key));
  if (!found) throw new S3Error('NoSuchKey', { extra: { Key: key } });
  sendXml(ctx.reply, 200, taggingXml(found.object.tags ?? {}));
}

async function setTags(ctx: RequestContext, tags: TagSet, op: 'Put' | 'Delete'): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const result = await ctx.deps.ledger.setObjectTags(internalKey(bucket, key), tags, (r) => [objectTagging(op, r.object, requestFacts(ctx))]);
  if (!result) throw new S3Error('NoSuchKey', { extra: { Key: key } });
  // The stored copies carry the tags too, for a ledger rebuild (write/restamp.ts).
  await restampCopies(ctx.deps, result.object.objectKey, result.object.writeId, result.sequencer);
}

export async function putObjectTagging(ctx: RequestContext): Promise<void> {
  const body = openClientBody(ctx.req, ctx.auth, MAX_TAGGING_BODY_BYTES, ctx.guards);
  const tags = await withXmlBody(body, ctx.guards, TAGGING_XML_LIMITS, parseTaggingXml);
  await setTags(ctx, tags, 'Put');
  sendEmpty(ctx.reply, 200);
}

export async function deleteObjectTagging(ctx: RequestContext): Promise<void> {
  await setTags(ctx, {}, 'Delete');
  sendEmpty(ctx.reply, 204);
}
