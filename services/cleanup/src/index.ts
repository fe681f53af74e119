// The cleanup service: deletes the bytes the system owes. Woken by `cleanup.enqueued`
// events, and on a tick for retries that come due.
import { EventType } from '@s3o/events';
import type { EventBus } from '@s3o/bus';
import { CleanupQueueWorker, type CleanupWorkerDeps } from './queue-worker.js';

export { CleanupQueueWorker, type CleanupWorkerDeps };

export interface CleanupService {
  worker: CleanupQueueWorker;
  stop(): Promise<void>;
}

export function startCleanupService(deps: CleanupWorkerDeps & { bus: EventBus }): CleanupService {
  const worker = new CleanupQueueWorker(deps);
  deps.bus.subscribe({
    consumer: 'cleanup-queue-wakeup',
    types: [EventType.CleanupEnqueued],
    handler: async () => worker.wake(),
  });
  worker.start();
  return { worker, stop: () => worker.stop() };
}
