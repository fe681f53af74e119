// Replication (docs/architecture.md §2 placement): every new object is copied to distinct backends until
// `replication.factor` copies count — at once on `object.created`, and by the periodic
// sweep for anything missed — and objects above the factor lose their excess copies.
import type { Config } from '@s3o/config';
import { EventType } from '@s3o/events';
import type { EventBus } from '@s3o/bus';
import { PeriodicWorker } from '@s3o/workers';
import { PLACEMENT_WORKERS } from '../worker-names.js';
import type { ReplicationDeps } from './deps.js';
import { Replicator } from './replicator.js';
import { ReplicationSweep, type SweepCounts } from './sweep.js';
import { OverReplicationTrimmer } from './trimmer.js';
import { KeyedWorkQueue } from './work-queue.js';

export type { ReplicationDeps, ReplicationLedger } from './deps.js';
export type { BackendHealthView } from './health.js';
export { Replicator, type ReplicateResult } from './replicator.js';
export { OverReplicationTrimmer } from './trimmer.js';
export { ReplicationSweep, type SweepCounts } from './sweep.js';

/** Keys the consumer may hand over per concurrent copy before it waits for room. */
const QUEUE_DEPTH_PER_WORKER = 8;

export interface Replication {
  replicator: Replicator;
  sweep: PeriodicWorker<SweepCounts>;
  /** A reloaded configuration: the next event and pass use its replication.* (copies under way finish as they are). */
  reconfigure(next: Config): void;
  stop(): Promise<void>;
}

export function startReplication(deps: ReplicationDeps & { bus: EventBus }): Replication {
  // `own` is what the replicator and trimmer read their settings from, per call: reconfigure() swaps its config.
  const { bus, ...own } = deps;
  const settings = own.config.replication;
  const replicator = new Replicator(own);
  const trimmer = new OverReplicationTrimmer(own);
  const queue = new KeyedWorkQueue(
    settings.concurrency,
    settings.concurrency * QUEUE_DEPTH_PER_WORKER,
    async (key, signal) => void (await replicator.replicate(key, signal)),
    own.logger,
  );
  bus.subscribe({
    consumer: 'replication',
    types: [EventType.ObjectCreated],
    handler: async (event) => {
      // A write lands on one backend; with factor 1 (or a write that already has its copies) there is nothing to do.
      if (event.data.copies.length >= own.config.replication.factor) return;
      await queue.enqueue(event.resource);
    },
  });
  // A copy found corrupt is rebuilt from a good one at once, not at the next sweep.
  bus.subscribe({
    consumer: 'replication-repair',
    types: [EventType.IntegrityCorruptionDetected],
    handler: async (event) => void (await queue.enqueue(event.resource)),
  });
  const catchUp = new ReplicationSweep({ ledger: own.ledger, settings: () => own.config.replication, replicator, trimmer, queue });
  const sweep = new PeriodicWorker<SweepCounts>({
    name: PLACEMENT_WORKERS.replicationSweep, lock: 'per-run', locks: own.ledger, intervalMs: settings.workerIntervalMs, logger: own.logger,
    run: (signal, progress) => catchUp.pass(signal, progress),
  });
  sweep.start();
  return {
    replicator,
    sweep,
    reconfigure: (next) => {
      own.config = next;
      const { concurrency, workerIntervalMs } = next.replication;
      queue.resize(concurrency, concurrency * QUEUE_DEPTH_PER_WORKER);
      sweep.reschedule(workerIntervalMs);
    },
    stop: async () => {
      await sweep.stop();
      await queue.stop();
    },
  };
}
