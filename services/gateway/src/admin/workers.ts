// Every periodic job's outcome record, in every process seen:
//   GET workers   one row per (process, job): last run, success, failure and its error,
//                 failures in a row, whether that process holds the job's leader lock, and
//                 per job which process holds it now.
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../context.js';
import { sendJson } from './respond.js';
import { fleet } from './fleet.js';

const iso = (ms: number | null | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);

export function registerWorkerRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/workers', async (_request, reply) => {
    const processes = await fleet(deps);
    const workers = processes.flatMap((p) => p.workers.map((w) => ({
      job: w.name,
      process_id: p.process_id,
      service: p.service,
      lock: w.lock,
      holds_lock: w.holdsLock,
      running: w.running ?? false,
      interval_ms: w.intervalMs,
      runs: w.runs,
      last_started_at: iso(w.lastStartedAt),
      last_finished_at: iso(w.lastFinishedAt),
      last_outcome: w.lastOutcome,
      last_counts: w.lastCounts,
      last_success_at: iso(w.lastSuccessAt),
      last_failure_at: iso(w.lastFailureAt),
      last_error: w.lastError,
      consecutive_failures: w.consecutiveFailures,
      next_tick_at: iso(w.nextTickAt),
    })));
    const jobs = [...new Set(workers.map((w) => w.job))].sort().map((job) => {
      const rows = workers.filter((w) => w.job === job);
      return { job, processes: rows.length, lock_holder: rows.find((w) => w.holds_lock)?.process_id ?? null };
    });
    return sendJson(reply, 200, { jobs, workers });
  });
}
