// Passes an operator asked a gateway for, run in the process that runs the job: every second
// this process looks for requested runs (job_runs) of the workers it runs, claims the oldest,
// runs it with the worker's trigger() — refused at once while a pass is running, or while
// another process holds the job's leader lock — and records the outcome for the gateway that
// follows the row (docs/architecture.md §9). In single-process mode the gateway calls the
// worker directly and no row is written.
import type { FleetLedger } from '@s3o/store';
import type { Logger } from '@s3o/telemetry';
import { PeriodicWorker, type RunResult } from './periodic-worker.js';
import { processWorkers, type WorkerRegistry } from './registry.js';

/** How often a process looks for requests: an operator waits at most about this long for the pass to start. */
export const JOB_REQUEST_POLL_MS = 1_000;
const NAME = 'job-requests';

/** A RunResult as stored: errors as their message. */
export function storedOutcome(result: RunResult<object> | null): unknown {
  if (result === null) return { status: 'skipped', reason: 'stopped' };
  return result.status === 'failed' ? { status: 'failed', error: result.error.message } : result;
}

/** The RunResult a stored outcome stands for. */
export function outcomeResult(outcome: unknown): RunResult<object> {
  const o = (outcome ?? {}) as Record<string, unknown>;
  if (o['status'] === 'failed') return { status: 'failed', error: new Error(String(o['error'] ?? 'the pass failed')) };
  return o as RunResult<object>;
}

/** The worker name of a configuration reload asked of one process (`admin reload --all`). */
export function reloadRequestOf(processId: string): string {
  return `config-reload@${processId}`;
}

export function startJobRequests(deps: {
  ledger: FleetLedger;
  /** the process id runs are claimed under (processIdOf) */
  processId: string;
  logger: Logger;
  /** re-reads this process's configuration file; its answer is the run's outcome (`reload`) */
  reload?: () => Promise<unknown>;
  registry?: WorkerRegistry;
  intervalMs?: number;
}): PeriodicWorker<{ runs: number }> {
  const registry = deps.registry ?? processWorkers;
  const worker = new PeriodicWorker({
    name: NAME,
    lock: 'none',
    intervalMs: deps.intervalMs ?? JOB_REQUEST_POLL_MS,
    logger: deps.logger,
    registry,
    run: async (signal) => {
      const runs = [...new Set(registry.list().map((r) => r.name))].filter((name) => name !== NAME);
      const reloadName = reloadRequestOf(deps.processId);
      if (deps.reload) runs.push(reloadName);
      let done = 0;
      while (!signal.aborted) {
        const claimed = await deps.ledger.claimJobRun(runs, deps.processId);
        if (!claimed) break;
        deps.logger.info({ job: claimed.job, worker: claimed.worker, run: claimed.id }, 'running a pass an operator asked for');
        if (claimed.worker === reloadName && deps.reload) {
          const reload = await deps.reload().catch((err: unknown) => ({ ok: false, error: err instanceof Error ? err.message : String(err) }));
          await deps.ledger.finishJobRun(claimed.id, { status: 'ok', counts: {}, reload });
          done += 1;
          continue;
        }
        let result: RunResult<object> | null;
        try {
          result = await registry.trigger(claimed.worker, claimed.params ?? undefined);
        } catch (err) {
          result = { status: 'failed', error: err instanceof Error ? err : new Error(String(err)) };
        }
        await deps.ledger.finishJobRun(claimed.id, storedOutcome(result));
        done += 1;
      }
      return { runs: done };
    },
  });
  worker.start();
  return worker;
}
