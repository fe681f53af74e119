export type { EventBus, EventHandler, Subscription } from './types.js';
export { InProcessBus, type InProcessBusOptions } from './in-process.js';
export { NatsBus, type NatsBusOptions, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX } from './nats/nats-bus.js';
export { natsLayout, type NatsLayout, type NatsLayoutConfig } from './nats/layout.js';
export { DeadLetterHeaders } from './nats/dead-letter.js';
export { NatsSubjectPublisher, type SubjectMessage } from './nats/subject-publisher.js';
export { UsageTotalsKv, usageBucketName, type UsageTotal, type UsageTotalsKvOptions } from './nats/usage-kv.js';
export { NatsBroadcast, type NatsBroadcastOptions } from './nats/broadcast.js';
