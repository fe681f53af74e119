// Where a pass an operator asks for runs: in this process when its worker runs here (single
// process mode), else — distributed mode — in the process that runs it, through a job_runs
// row that process claims within about a second (@s3o/workers job-requests.ts); this gateway
// follows the row until the pass has finished. A job no process seen by its heartbeat runs
// is not asked for at all.
import { newId } from '@s3o/store';
import { HEARTBEAT_SEEN_WITHIN_MS, outcomeResult, type RunParams, type RunResult, type WorkerRecord } from '@s3o/workers';
import type { GatewayDeps } from '../context.js';
import { TRIGGERS, type TriggerName } from './route-table.js';

/** How often the gateway reads a requested run's row. */
const FOLLOW_EVERY_MS = 200;
/** A request no process has claimed by then is withdrawn (the processes that run the job have stopped). */
const CLAIM_TIMEOUT_MS = 15_000;

export interface Pass {
  /** resolves once the pass is under way (a refusal resolves `result` first) */
  started: Promise<void>;
  /** null: no process runs the job */
  result: Promise<RunResult<object> | null>;
  /**
   * The counts of the pass so far, as the job reports them (PeriodicWorker progress): read
   * live here, or from the heartbeat of the process that runs it (at most 5 s old); null
   * when the job does not report them or no record shows the run.
   */
  progress(): Promise<Record<string, number> | null>;
}

const noProgress = async () => null;
const settled = (result: RunResult<object> | null): Pass => ({ started: new Promise(() => {}), result: Promise.resolve(result), progress: noProgress });

/** The progress of the running record among `records` of the job's worker. */
function progressOf(records: readonly WorkerRecord[], worker: string): Record<string, number> | null {
  const running = records.find((r) => r.name === worker && r.running && r.progress);
  return running?.progress ? { ...running.progress } : null;
}

/** `params`: the scope the operator asked the pass with (jobs.ts), handed to the worker's run. */
export async function startPass(deps: GatewayDeps, job: TriggerName, params?: RunParams): Promise<Pass> {
  const worker = TRIGGERS[job];
  if (worker === null) {
    // Every process meters its own usage; this gateway flushes its own.
    if (!deps.usage) return settled(null);
    const usage = deps.usage;
    return local(usage.flushNow().then((counts) => ({ status: 'ok', counts: counts ?? {} })), noProgress);
  }
  const operator = deps.operator;
  if (operator?.workers.list().some((w) => w.name === worker)) {
    return local(operator.workers.trigger(worker, params), async () => progressOf(operator.workers.list(), worker));
  }
  const fleet = await deps.ledger.listHeartbeats(Date.now() - HEARTBEAT_SEEN_WITHIN_MS);
  const runsIt = fleet.some((p) => (p.workers as WorkerRecord[]).some((w) => w.name === worker));
  if (!runsIt) return settled(null);
  return remote(deps, job, worker, params);
}

/** Local: trigger() refuses at once, so a refusal is known before the next turn of the event loop. */
function local(result: Promise<RunResult<object> | null>, progress: Pass['progress']): Pass {
  return { started: new Promise((resolve) => setImmediate(resolve)), result, progress };
}

function remote(deps: GatewayDeps, job: string, worker: string, params: RunParams | undefined): Pass {
  const id = newId();
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const result = (async (): Promise<RunResult<object> | null> => {
    await deps.ledger.requestJobRun({ id, job, worker, params: params ? { ...params } : undefined });
    const deadline = Date.now() + CLAIM_TIMEOUT_MS;
    let runningSeen = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, FOLLOW_EVERY_MS));
      const run = await deps.ledger.getJobRun(id);
      if (!run) return null;
      if (run.state === 'finished') return outcomeResult(run.outcome);
      if (run.state === 'unclaimed') return null;
      if (run.state === 'running') {
        // Seen running twice: not refused at once (a refusal finishes the row right after the claim).
        if (++runningSeen === 2) markStarted();
      } else if (Date.now() > deadline && (await deps.ledger.withdrawJobRun(id))) {
        return null;
      }
    }
  })();
  const progress = async () => {
    const fleet = await deps.ledger.listHeartbeats(Date.now() - HEARTBEAT_SEEN_WITHIN_MS);
    return progressOf(fleet.flatMap((p) => p.workers as WorkerRecord[]), worker);
  };
  return { started, result, progress };
}
