// @s3o/events: the domain events (docs/architecture.md, "Events") — their types and data
// schemas, the envelope, the constructors every producer uses and the parse every consumer
// gets its events through.
export {
  EVENT_SCHEMA_VERSION, EVENT_SCHEMAS, EventType,
  type EventTypeName, type EventDataMap, type CopyRef, type RequestFacts, type CreatedOp, type RemovedOp, type MoveReason,
  type ObjectCreatedData, type ObjectRemovedData, type ObjectReplicatedData, type ObjectMovedData, type ObjectLostData, type IntegrityCorruptionData,
  type ReplicationTargetExhaustedData, type CleanupEnqueuedData, type CleanupDeadLetteredData, type BackendCircuitData,
  type BackendDrainData, type UsageDeltaData, type IdentityChangedData,
} from './schemas.js';
export {
  MalformedEventError, isEventType, parseEvent, type DomainEvent, type EventRecord, type NewEvent,
} from './envelope.js';
export {
  NO_REQUEST, backendCircuitChanged, backendDrainEvent, cleanupDeadLettered, cleanupEnqueued, copyRef, objectCreated,
  integrityCorruptionDetected, objectLost, objectMoved, objectRemoved, objectReplicated, objectTagging, replicationTargetExhausted, splitInternalKey, usageDeltaEvent, identityChanged,
  type CopyLike, type ObjectLike,
} from './constructors.js';
