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
  BackendDrainStarted: 'backend.drain.started',
  BackendDrainCompleted: 'backend.drain.completed',
  BackendDrainFailed: 'backend.drain.failed',
  BackendDrainCancelled: 'backend.drain.cancelled',
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

/**
 * `Import`: an object that was already on a backend, taken into the ledger by sync or
 * reconcile (no client request; request facts are null). Placement replicates it like any
 * new object; AWS has no S3 event name for it, so the notifier delivers none.
 */
export type CreatedOp = 'Put' | 'Copy' | 'CompleteMultipartUpload' | 'Import';
export type RemovedOp = 'Delete' | 'DeleteObjects' | 'LifecycleExpiration';

export interface CopyRef {
  backend: string;
  storage_key: string;
}

/** Facts about the client request behind an object event: its request id, who sent it and from where. */
export interface RequestFacts {
  request_id: string;
  access_key_id: string | null;
  source_ip: string | null;
}

export interface ObjectCreatedData extends RequestFacts {
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

export interface ObjectRemovedData extends RequestFacts {
  version: number;
  op: RemovedOp;
  bucket: string;
  key: string;
  copies: CopyRef[];
}

/** object.lost: no copy of the object is left (every copy the ledger records was found absent). */
export interface ObjectLostData {
  version: number;
  bucket: string;
  key: string;
  size: number;
  etag: string;
  /** the copies that were found missing */
  copies: CopyRef[];
}

/** object.replicated (resource = internal key): placement made one more copy of the object. */
export interface ObjectReplicatedData {
  version: number;
  bucket: string;
  key: string;
  /** the backend the bytes were copied from */
  from: string;
  /** the backend of the new copy, and where on it the copy lives */
  to: string;
  storage_key: string;
  size: number;
  /** the write the copy is of */
  write_id: string;
}

/**
 * replication.target_exhausted (resource = internal key): no backend could take another copy
 * (all hold one, are full, draining or refused), so the object stays below the factor.
 */
export interface ReplicationTargetExhaustedData {
  version: number;
  bucket: string;
  key: string;
  /** replication.factor */
  wanted: number;
  /** copies that count now */
  reached: number;
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

/**
 * `usage.delta` (resource = backend): what one process sent to and fetched from a backend
 * since its previous delta, within one month. `delta_id` lets the process recognise its own
 * delta in the totals the usage service publishes after folding it.
 */
export type UsageDeltaData = {
  version: number;
  backend: string;
  /** `YYYY-MM`, UTC */
  period: string;
  requests: number;
  egress: number;
  ingress: number;
  delta_id: string;
};

/** The `usage.delta` event of one backend's delta. */
export function usageDeltaEvent(delta: Omit<UsageDeltaData, 'version'>): { type: string; resource: string; data: UsageDeltaData } {
  return { type: EventType.UsageDelta, resource: delta.backend, data: { version: EVENT_SCHEMA_VERSION, ...delta } };
}

/** The data of a `usage.delta` event, or null when it is not one this version understands. */
export function parseUsageDelta(data: Record<string, unknown>): UsageDeltaData | null {
  const { backend, period, requests, egress, ingress, delta_id: deltaId } = data;
  const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (typeof backend !== 'string' || typeof period !== 'string' || !/^\d{4}-\d{2}$/.test(period)) return null;
  if (!count(requests) || !count(egress) || !count(ingress)) return null;
  return { version: Number(data.version ?? EVENT_SCHEMA_VERSION), backend, period, requests, egress, ingress, delta_id: typeof deltaId === 'string' ? deltaId : '' };
}

/** object.moved (resource = internal key): placement moved a copy (a drain or the rebalancer). */
export interface ObjectMovedData {
  version: number;
  bucket: string;
  key: string;
  /** the backend the copy left, and the backend and storage key of the new copy */
  from: string;
  to: string;
  storage_key: string;
  size: number;
  write_id: string;
  /** why: 'drain' or 'rebalance' */
  reason: string;
}

/** backend.circuit.opened / .closed (resource = backend): the placement service's view of a backend's health. */
export interface BackendCircuitData {
  version: number;
  backend: string;
  reason: string;
}

/** backend.drain.* (resource = backend): a drain's progress when it started, ended or was cancelled. */
export interface BackendDrainData {
  version: number;
  backend: string;
  objects_total: number;
  objects_moved: number;
  bytes_moved: number;
  /** why it failed (failed), else null */
  reason: string | null;
}

/** A backend.drain.* event from a drain record (the store's DrainRow fits). */
export function backendDrainEvent(
  type: typeof EventType.BackendDrainStarted | typeof EventType.BackendDrainCompleted | typeof EventType.BackendDrainFailed | typeof EventType.BackendDrainCancelled,
  drain: { backendName: string; objectsTotal: number; objectsMoved: number; bytesMoved: number; lastError: string | null },
): { type: string; resource: string; data: BackendDrainData & Record<string, unknown> } {
  return {
    type,
    resource: drain.backendName,
    data: {
      version: EVENT_SCHEMA_VERSION,
      backend: drain.backendName,
      objects_total: drain.objectsTotal,
      objects_moved: drain.objectsMoved,
      bytes_moved: drain.bytesMoved,
      reason: type === EventType.BackendDrainFailed ? drain.lastError : null,
    },
  };
}
