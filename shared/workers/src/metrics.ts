// Prometheus view of the worker records: runs by outcome and the time of the last success,
// per job, so an alert can say "the reaper has not succeeded for an hour".
import { counter, gauge } from '@s3o/telemetry';
import type { RunOutcome } from './registry.js';

const runs = counter({
  name: 's3o_worker_runs_total',
  help: 'Runs of periodic jobs in this process, by job and outcome (ok, failed, aborted).',
  labelNames: ['job', 'outcome'],
});

const lastSuccess = gauge({
  name: 's3o_worker_last_success_timestamp_seconds',
  help: 'Unix time of the last successful run of a periodic job in this process.',
  labelNames: ['job'],
});

const leading = gauge({
  name: 's3o_worker_leader',
  help: '1 while this process holds the leader lock of a periodic job, else 0.',
  labelNames: ['job'],
});

export function countRun(job: string, outcome: RunOutcome, atMs: number): void {
  runs.inc({ job, outcome });
  if (outcome === 'ok') lastSuccess.set({ job }, atMs / 1000);
}

export function reportLeadership(job: string, holds: boolean): void {
  leading.set({ job }, holds ? 1 : 0);
}
