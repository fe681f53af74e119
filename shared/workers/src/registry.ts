// The outcome records of a process's periodic workers: one record per worker, the same fields
// for every job, kept in memory by the worker itself and listed here. The admin API and
// metrics read them; nothing here reaches the database.
import type { RunParams, RunResult } from './periodic-worker.js';

/** How a worker's job is shared between processes. */
export type LockMode =
  /** every process runs the job (no leader lock) */
  | 'none'
  /** the leader lock is taken for each run and released after it */
  | 'per-run'
  /** the leader lock is kept between runs, until it is lost or the worker stops */
  | 'held';

/** How a run ended. `aborted`: its signal fired (stop, lost leadership) before it finished. */
export type RunOutcome = 'ok' | 'failed' | 'aborted';

/** What a worker has done so far in this process. Times are epoch milliseconds. */
export interface WorkerRecord {
  /** the job's name (also its leader lock's name, when it has one) */
  readonly name: string;
  readonly lock: LockMode;
  readonly intervalMs: number;
  /** a run is in progress */
  readonly running: boolean;
  /** this process holds the job's leader lock now (always false for lock 'none') */
  readonly holdsLock: boolean;
  /** runs started (a tick that did not get the lock is no run) */
  readonly runs: number;
  readonly lastStartedAt: number | null;
  readonly lastFinishedAt: number | null;
  readonly lastOutcome: RunOutcome | null;
  /** the counts the last run that returned reported (ok or aborted) */
  readonly lastCounts: Readonly<Record<string, number>> | null;
  /** the counts of the run in progress so far, when the job reports them as it goes; null otherwise */
  readonly progress?: Readonly<Record<string, number>> | null;
  readonly lastSuccessAt: number | null;
  readonly lastFailureAt: number | null;
  /** the message of the last failure (a run that threw, or a lock that could not be asked for) */
  readonly lastError: string | null;
  /** failures since the last successful run */
  readonly consecutiveFailures: number;
  /** when the next scheduled tick is due; null before start() and after stop() */
  readonly nextTickAt: number | null;
}

/** What the registry holds: a PeriodicWorker. */
export interface RegisteredWorker {
  readonly name: string;
  record(): WorkerRecord;
  /** One run now; 'busy' while one is in progress, 'not-leader' when another process holds the lock. */
  trigger(params?: RunParams): Promise<RunResult<object>>;
}

/**
 * The workers of one process. A worker joins when it starts and leaves when it stops, so the
 * list is what runs now. Several workers may share a name (two service instances in one test
 * process); they are listed apart, in start order.
 */
export class WorkerRegistry {
  private readonly workers = new Set<RegisteredWorker>();

  add(worker: RegisteredWorker): void {
    this.workers.add(worker);
  }

  remove(worker: RegisteredWorker): void {
    this.workers.delete(worker);
  }

  /** Every running worker's record, copied (later runs do not change what was returned). */
  list(): WorkerRecord[] {
    return [...this.workers].map((w) => w.record());
  }

  /** The records of the workers with this name. */
  get(name: string): WorkerRecord[] {
    return this.list().filter((r) => r.name === name);
  }

  /**
   * Runs the named job now in this process (an operator's "run it now"): what its first
   * worker that is not stopping answered (one a reload retired may still be finishing its
   * pass beside its successor), or null when no worker of that name runs here.
   */
  async trigger(name: string, params?: RunParams): Promise<RunResult<object> | null> {
    let stopping: RunResult<object> | null = null;
    for (const worker of this.workers) {
      if (worker.name !== name) continue;
      const result = await worker.trigger(params);
      if (result.status === 'skipped' && result.reason === 'stopped') stopping = result;
      else return result;
    }
    return stopping;
  }
}

/** The registry workers join unless they are given another: the process's own. */
export const processWorkers = new WorkerRegistry();
