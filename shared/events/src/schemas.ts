// The domain events' data, one schema per event type (docs/architecture.md, "Events"). The
// schemas are the single definition: the TypeScript types are inferred from them, producers
// build values of those types, and consumers get data that a schema has checked once, where
// it entered the process (the bus, reading event_log or NATS).
//
// `version` is the schema version of the data. Versions only ever add fields: a consumer
// reads the fields its version knows from data of any version >= 1 (and drops the others);
// a change that removes or redefines a field is a new event type, not a new version.
import { z } from 'zod';

/** The version this code writes. */
export const EVENT_SCHEMA_VERSION = 1;

const version = z.number().int().min(1);
const text = z.string();
const count = z.number().int().nonnegative().safe();

/** Where one copy of an object lives. */
const copyRefSchema = z.object({ backend: text, storage_key: text });

/**
 * Who asked for an object change: the client request's id, access key and address — all
 * null for a change the system made on its own (lifecycle expiry, a promoted write, an import).
 */
const requestFactsShape = {
  request_id: text.nullable(),
  access_key_id: text.nullable(),
  source_ip: text.nullable(),
};

/**
 * The commit's sequencer (16 hex digits, increasing per key in commit order): stamped by the
 * store on the events of a change of an object's copies, never set by producers.
 */
const sequencer = text.optional();

/**
 * `Import`: an object that was already on a backend, taken into the ledger by sync or
 * reconcile (no client request). Placement replicates it like any new object; AWS has no S3
 * event name for it, so the notifier delivers none.
 */
const createdOp = z.enum(['Put', 'Copy', 'CompleteMultipartUpload', 'Import']);
const removedOp = z.enum(['Delete', 'DeleteObjects', 'LifecycleExpiration']);

/** object.created (resource = internal key): a write, copy, multipart completion or import committed. */
const objectCreated = z.object({
  version,
  op: createdOp,
  bucket: text,
  key: text,
  size: count,
  etag: text,
  content_type: text,
  /** the copies after the commit */
  copies: z.array(copyRefSchema),
  /** copies of earlier writes the commit displaced (now cleanup debts) */
  displaced: z.array(copyRefSchema),
  /** the object's tags (absent in events written before tags existed) */
  tags: z.record(text).optional(),
  ...requestFactsShape,
  sequencer,
});

/** object.removed (resource = internal key): the object and its copies were removed. */
const objectRemoved = z.object({
  version,
  op: removedOp,
  bucket: text,
  key: text,
  /** the copies removed (now cleanup debts) */
  copies: z.array(copyRefSchema),
  ...requestFactsShape,
  sequencer,
});

const taggingOp = z.enum(['Put', 'Delete']);

/**
 * object.tagging (resource = internal key): the tag set of the object that is there was
 * replaced (Put) or removed (Delete) by Put/DeleteObjectTagging; a write's own tags travel
 * with its object.created.
 */
const objectTagging = z.object({
  version,
  op: taggingOp,
  bucket: text,
  key: text,
  etag: text,
  /** the tag set after the change */
  tags: z.record(text),
  ...requestFactsShape,
  sequencer,
});

/** object.replicated (resource = internal key): placement made one more copy of the object. */
const objectReplicated = z.object({
  version,
  bucket: text,
  key: text,
  /** the backend the bytes were copied from */
  from: text,
  /** the backend of the new copy, and where on it the copy lives */
  to: text,
  storage_key: text,
  size: count,
  /** the write the copy is of */
  write_id: text,
  sequencer,
});

/** object.moved (resource = internal key): placement moved a copy (a drain or the rebalancer). */
const objectMoved = z.object({
  version,
  bucket: text,
  key: text,
  /** the backend the copy left, and the backend and storage key of the new copy */
  from: text,
  to: text,
  storage_key: text,
  size: count,
  write_id: text,
  reason: z.enum(['drain', 'rebalance']),
  sequencer,
});

/** object.lost (resource = internal key): no copy of the object is left (every copy the ledger records was found absent). */
const objectLost = z.object({
  version,
  bucket: text,
  key: text,
  size: count,
  etag: text,
  /** the copies that were found missing */
  copies: z.array(copyRefSchema),
});

/**
 * integrity.corruption_detected (resource = internal key): a copy's bytes failed their check
 * (`sha256`: the whole object's hash; `authentication`: a GCM tag; `length`: the stored
 * length) on a read or a scrub; the copy is marked corrupt and replication rebuilds it.
 */
const integrityCorruptionDetected = z.object({
  version,
  bucket: text,
  key: text,
  backend: text,
  storage_key: text,
  write_id: text,
  reason: z.enum(['sha256', 'authentication', 'length']),
  /** what found it: a client's read or the scrubber */
  detected_by: z.enum(['read', 'scrub']),
});

/**
 * replication.target_exhausted (resource = internal key): no backend could take another copy
 * (all hold one, are full, draining or refused), so the object stays below the factor.
 */
const replicationTargetExhausted = z.object({
  version,
  bucket: text,
  key: text,
  /** replication.factor */
  wanted: count,
  /** copies that count now */
  reached: count,
});

/** cleanup.enqueued (resource = backend): a transaction owed `count` deletions on the backend. */
const cleanupEnqueued = z.object({ version, backend: text, count });

/** cleanup.dead_lettered (resource = backend): a debt moved to cleanup_dlq after its last attempt failed. */
const cleanupDeadLettered = z.object({
  version,
  /** the debt's id (kept in cleanup_dlq) */
  id: count,
  backend: text,
  kind: z.enum(['object', 'multipart_upload']),
  storage_key: text,
  object_key: text.nullable(),
  attempts: count,
  last_error: text,
});

/** backend.circuit.opened / .closed (resource = backend): the placement service's view of a backend's health. */
const backendCircuit = z.object({ version, backend: text, reason: text });

/** backend.drain.* (resource = backend): a drain's progress when it started, ended or was cancelled. */
const backendDrain = z.object({
  version,
  backend: text,
  objects_total: count,
  objects_moved: count,
  bytes_moved: count,
  /** why it failed (failed), else null */
  reason: text.nullable(),
});

/**
 * usage.delta (resource = backend): what one process sent to and fetched from a backend since
 * its previous delta, within one month. `delta_id` lets the process recognise its own delta in
 * the totals the usage service publishes after folding it.
 */
const usageDelta = z.object({
  version,
  backend: text,
  /** `YYYY-MM`, UTC */
  period: text.regex(/^\d{4}-\d{2}$/, 'a period is YYYY-MM'),
  requests: count,
  egress: count,
  ingress: count,
  delta_id: text.default(''),
});

/**
 * identity.changed (resource = `identity`): users, credentials, grants or stored buckets
 * changed; every process that authenticates rebuilds its registry from the ledger. `change`
 * says what (e.g. `credential.revoked`), `subject` which one — never a secret.
 */
const identityChanged = z.object({ version, change: text, subject: text });

/** Every event type and the schema of its data. */
export const EVENT_SCHEMAS = {
  'object.created': objectCreated,
  'object.removed': objectRemoved,
  'object.tagging': objectTagging,
  'object.replicated': objectReplicated,
  'object.moved': objectMoved,
  'object.lost': objectLost,
  'integrity.corruption_detected': integrityCorruptionDetected,
  'replication.target_exhausted': replicationTargetExhausted,
  'cleanup.enqueued': cleanupEnqueued,
  'cleanup.dead_lettered': cleanupDeadLettered,
  'backend.circuit.opened': backendCircuit,
  'backend.circuit.closed': backendCircuit,
  'backend.drain.started': backendDrain,
  'backend.drain.completed': backendDrain,
  'backend.drain.failed': backendDrain,
  'backend.drain.cancelled': backendDrain,
  'usage.delta': usageDelta,
  'identity.changed': identityChanged,
} as const;

export type EventTypeName = keyof typeof EVENT_SCHEMAS;

/** The data of each event type. */
export type EventDataMap = { [T in EventTypeName]: z.output<(typeof EVENT_SCHEMAS)[T]> };

/** The event type names by a name to use in code. */
export const EventType = {
  ObjectCreated: 'object.created',
  ObjectRemoved: 'object.removed',
  ObjectTagging: 'object.tagging',
  ObjectReplicated: 'object.replicated',
  ObjectMoved: 'object.moved',
  ObjectLost: 'object.lost',
  IntegrityCorruptionDetected: 'integrity.corruption_detected',
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
  IdentityChanged: 'identity.changed',
} as const satisfies Record<string, EventTypeName>;

export type CopyRef = z.output<typeof copyRefSchema>;
export type RequestFacts = z.output<z.ZodObject<typeof requestFactsShape>>;
export type CreatedOp = z.output<typeof createdOp>;
export type RemovedOp = z.output<typeof removedOp>;
export type TaggingOp = z.output<typeof taggingOp>;
export type MoveReason = EventDataMap['object.moved']['reason'];

export type ObjectCreatedData = EventDataMap['object.created'];
export type ObjectRemovedData = EventDataMap['object.removed'];
export type ObjectTaggingData = EventDataMap['object.tagging'];
export type ObjectReplicatedData = EventDataMap['object.replicated'];
export type ObjectMovedData = EventDataMap['object.moved'];
export type ObjectLostData = EventDataMap['object.lost'];
export type IntegrityCorruptionData = EventDataMap['integrity.corruption_detected'];
export type ReplicationTargetExhaustedData = EventDataMap['replication.target_exhausted'];
export type CleanupEnqueuedData = EventDataMap['cleanup.enqueued'];
export type CleanupDeadLetteredData = EventDataMap['cleanup.dead_lettered'];
export type BackendCircuitData = EventDataMap['backend.circuit.opened'];
export type BackendDrainData = EventDataMap['backend.drain.started'];
export type UsageDeltaData = EventDataMap['usage.delta'];
export type IdentityChangedData = EventDataMap['identity.changed'];
