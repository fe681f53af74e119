// @s3o/workers: the one loop every periodic job runs on (periodic-worker.ts) and the records
// of what each worker did in this process (registry.ts), which the admin API and metrics read.
export {
  PeriodicWorker, type PeriodicWorkerOptions, type WorkerSharing, type RunResult, type RunParams, type SkipReason, type LeaderLocks,
} from './periodic-worker.js';
export { WorkerRegistry, processWorkers, type WorkerRecord, type LockMode, type RunOutcome, type RegisteredWorker } from './registry.js';
export { firstTickDelayMs, FIRST_TICK_JITTER, MAX_FIRST_TICK_DELAY_MS, type FirstTickOptions } from './first-tick.js';
export {
  startHeartbeat, processIdOf, HEARTBEAT_INTERVAL_MS, HEARTBEAT_SEEN_WITHIN_MS, type ProcessIdentity,
} from './heartbeat.js';
export { startJobRequests, storedOutcome, outcomeResult, reloadRequestOf, JOB_REQUEST_POLL_MS } from './job-requests.js';
