// DeleteObject: one transaction removes the rows, records the byte debts and appends
// object.removed; the cleanup service deletes the bytes. 204 even when absent.
import { objectTarget, type RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { sendEmpty } from '../http/respond.js';
import { objectRemoved } from '../write/events.js';

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const { bucket, key } = objectTarget(ctx);
  const result = await ctx.deps.ledger.deleteObject(internalKey(bucket, key), (o) => [objectRemoved(ctx, 'Delete', bucket, key, o.removed)]);
  if (result.existed) ctx.deps.onEventsAppended?.();
  sendEmpty(ctx.reply, 204);
}
