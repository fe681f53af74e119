// Creates or updates the JetStream objects the bus needs. Every process does this at start
// (and a consumer again when it finds its durable gone); all of it is idempotent, so
// replicas starting together are fine.
import { nanos } from '@nats-io/transport-node';
import {
  AckPolicy, DeliverPolicy, DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType,
  type ConsumerConfig, type JetStreamManager, type StreamConfig,
} from '@nats-io/jetstream';
import type { NatsLayout } from './layout.js';

/** JetStream's "stream name already in use with a different configuration" */
const STREAM_NAME_IN_USE = 10058;

export interface StreamLimits {
  /** how long the streams keep messages */
  retentionMs: number;
  /** how long a `Nats-Msg-Id` is remembered for dedup: covers a relay re-publishing after a lost ack */
  duplicateWindowMs: number;
}

/**
 * The events stream (limits retention, not work-queue: several services each read everything
 * they subscribed to) and the dead-letter stream.
 */
export async function provisionStreams(jsm: JetStreamManager, layout: NatsLayout, limits: StreamLimits): Promise<void> {
  await upsertStream(jsm, streamConfig(layout.stream, layout.eventSubjects, limits));
  await upsertStream(jsm, streamConfig(layout.deadStream, layout.deadSubjects, limits));
}

function streamConfig(name: string, subject: string, limits: StreamLimits): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(limits.retentionMs),
    duplicate_window: nanos(Math.min(limits.duplicateWindowMs, limits.retentionMs)),
  };
}

async function upsertStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (err) {
    // It exists with other settings (e.g. a changed retention): bring it to ours.
    if (!(err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE)) throw err;
    await jsm.streams.update(config.name, config);
  }
}

export interface DurableSpec {
  name: string;
  filterSubject: string;
  /** deliveries the server makes at most */
  maxDeliver: number;
  ackWaitMs: number;
}

/**
 * A durable pull consumer with explicit acks, shared by every replica of the service. It
 * starts at the beginning of the stream: events published before the service first ran are
 * still its to handle.
 */
export async function provisionDurable(jsm: JetStreamManager, stream: string, spec: DurableSpec): Promise<void> {
  const config: Partial<ConsumerConfig> = {
    durable_name: spec.name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: spec.filterSubject,
    max_deliver: spec.maxDeliver,
    ack_wait: nanos(spec.ackWaitMs),
  };
  try {
    // Server 2.9 creates, or updates a durable whose changes are allowed (ack_wait, max_deliver).
    await jsm.consumers.add(stream, config);
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
    await jsm.consumers.update(stream, spec.name, { max_deliver: spec.maxDeliver, ack_wait: nanos(spec.ackWaitMs) });
  }
}
