// Conditional writes (PutObject, CopyObject, CompleteMultipartUpload): `If-None-Match: *`
// (only if the key is absent) and `If-Match: <etag>` (only if the key holds that object).
// Checked here when the request begins, so a failed condition costs no body and no backend
// call; decided again under the key lock in the commit (docs/architecture.md §6, "PUT"), where
// a write that lost a race answers 412 (If-None-Match) or 409 ConditionalRequestConflict
// (If-Match: the object it was checked against was replaced meanwhile).
import { S3Error } from '@s3o/s3';
import { ConditionalConflictError, PreconditionFailedError } from '@s3o/store';
import { header, type RequestContext } from '../context.js';

export interface WriteConditions {
  ifNoneMatchStar: boolean;
  /** the write (write_id) of the object `If-Match` matched; the commit requires it still there */
  ifWriteId?: string;
}

function etagOf(value: string): string {
  return value.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

export async function writeConditions(ctx: RequestContext, objectKey: string): Promise<WriteConditions> {
  const ifNoneMatch = header(ctx.req, 'if-none-match');
  const ifMatch = header(ctx.req, 'if-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw new S3Error('NotImplemented', { message: 'If-None-Match on writes supports only "*".' });
  }
  const conditions: WriteConditions = { ifNoneMatchStar: ifNoneMatch !== undefined };
  if (ifNoneMatch === undefined && ifMatch === undefined) return conditions;
  const current = (await ctx.deps.ledger.getObject(objectKey))?.object ?? null;
  if (conditions.ifNoneMatchStar && current) throw new S3Error('PreconditionFailed', { extra: { Condition: 'If-None-Match' } });
  if (ifMatch !== undefined) {
    if (!current || (etagOf(ifMatch) !== '*' && etagOf(ifMatch) !== current.etag)) {
      throw new S3Error('PreconditionFailed', { extra: { Condition: 'If-Match' } });
    }
    conditions.ifWriteId = current.writeId;
  }
  return conditions;
}

/** The S3 answer to a condition the commit found failed; null for any other error. */
export function conditionFailureAnswer(err: unknown): S3Error | null {
  if (err instanceof PreconditionFailedError) return new S3Error('PreconditionFailed', { extra: { Condition: 'If-None-Match' } });
  if (err instanceof ConditionalConflictError) return new S3Error('ConditionalRequestConflict');
  return null;
}
