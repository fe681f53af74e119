// DeleteObject: one transaction removes the rows, records the byte debts and appends
// object.removed; the cleanup service deletes the bytes. 204 even when absent.
import { objectRemoved } from '@s3o/events';
import { objectTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { sendEmpty } from '../http/respond.js';
import { deleteWithMarkers } from '../write/delete-with-markers.js';
import { requestFacts } from '../write/request-facts.js';

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const objectKey = internalKey(bucket, key);
  await deleteWithMarkers(ctx.deps, objectKey, (o) => [objectRemoved('Delete', objectKey, o.removed, requestFacts(ctx))]);
  sendEmpty(ctx.reply, 204);
}
