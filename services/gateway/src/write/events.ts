// The domain events a gateway commit appends (DESIGN §5).
import { EVENT_SCHEMA_VERSION, EventType, type CreatedOp, type ObjectCreatedData, type ObjectRemovedData, type RemovedOp } from '@s3o/events';
import type { LocationRow, NewEvent, ObjectRow } from '@s3o/store';
import type { RequestContext } from '../context.js';

function requestFacts(ctx: RequestContext) {
  return { request_id: ctx.requestId, access_key_id: ctx.auth.accessKeyId, source_ip: ctx.sourceIp };
}

const copyRef = (l: LocationRow) => ({ backend: l.backendName, storage_key: l.storageKey });

export function objectCreated(ctx: RequestContext, op: CreatedOp, bucket: string, key: string,
  object: ObjectRow, copies: LocationRow[], displaced: LocationRow[]): NewEvent {
  const data: ObjectCreatedData = {
    version: EVENT_SCHEMA_VERSION, op, bucket, key, size: object.size, etag: object.etag,
    content_type: object.contentType, copies: copies.map(copyRef), displaced: displaced.map(copyRef), ...requestFacts(ctx),
  };
  return { type: EventType.ObjectCreated, resource: object.objectKey, data: { ...data } };
}

export function objectRemoved(ctx: RequestContext, op: RemovedOp, bucket: string, key: string, removed: LocationRow[]): NewEvent {
  const data: ObjectRemovedData = { version: EVENT_SCHEMA_VERSION, op, bucket, key, copies: removed.map(copyRef), ...requestFacts(ctx) };
  return { type: EventType.ObjectRemoved, resource: `${bucket}/${key}`, data: { ...data } };
}
