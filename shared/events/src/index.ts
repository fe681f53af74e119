// Domain event types and their data shapes (DESIGN §5). The envelope is identical in
// event_log and on the bus; `data.version` lets consumers evolve with the schema.
export const EVENT_SCHEMA_VERSION = 1;

export const EventType = {
  ObjectCreated: 'object.created',
  ObjectRemoved: 'object.removed',
  ObjectReplicated: 'object.replicated',
  ObjectMoved: 'object.moved',
  ObjectLost: 'object.lost',
  ReplicationTargetExhausted: 'replication.target_exhausted',
  CleanupEnqueued: 'cleanup.enqueued',
  CleanupDeadLettered: 'cleanup.dead_lettered',
  BackendCircuitOpened: 'backend.circuit.opened',
  BackendCircuitClosed: 'backend.circuit.closed',
  UsageDelta: 'usage.delta',
} as const;
export type EventTypeName = (typeof EventType)[keyof typeof EventType];

export interface EventEnvelope<D = Record<string, unknown>> {
  id: string;
  type: string;
  time: string;
  resource: string;
  source: string;
  traceparent: string | null;
  data: D;
}

export type CreatedOp = 'Put' | 'Copy' | 'CompleteMultipartUpload';
export type RemovedOp = 'Delete' | 'DeleteObjects' | 'LifecycleExpiration';

export interface CopyRef {
  backend: string;
  storage_key: string;
}

export interface RequestContext {
  request_id: string;
  access_key_id: string | null;
  source_ip: string | null;
}

export interface ObjectCreatedData extends RequestContext {
  version: number;
  op: CreatedOp;
  bucket: string;
  key: string;
  size: number;
  etag: string;
  content_type: string;
  copies: CopyRef[];
  displaced: CopyRef[];
}

export interface ObjectRemovedData extends RequestContext {
  version: number;
  op: RemovedOp;
  bucket: string;
  key: string;
  copies: CopyRef[];
}

export interface CleanupEnqueuedData {
  version: number;
  backend: string;
  count: number;
}

/** Builds the `cleanup.enqueued` wake-up events for a set of debts, one per backend. */
export function cleanupEnqueuedEvents(backends: string[]): Array<{ type: string; resource: string; data: CleanupEnqueuedData }> {
  const counts = new Map<string, number>();
  for (const b of backends) counts.set(b, (counts.get(b) ?? 0) + 1);
  return [...counts].map(([backend, count]) => ({
    type: EventType.CleanupEnqueued,
    resource: backend,
    data: { version: EVENT_SCHEMA_VERSION, backend, count },
  }));
}
