// The one loop every periodic job runs on (sweeps, reaper, lifecycle, replication sweep,
// rebalancer, reconcile, drains, health probes, queue pollers). A job is a function
// `run(signal) → counts`; the worker decides when it runs and under which lock:
//
//  * ticks: the first after a short random delay (first-tick.ts), then every `intervalMs`;
//    `wake()` runs it at once (or once more right after the run in progress), for jobs an
//    event can give work; `trigger()` runs it at once and answers with what happened, or
//    refuses ('busy') while a run is in progress.
//  * lock: 'none' — every process runs the job; 'per-run' — each run takes the leader lock
//    (ledger.tryLeaderLock: SQLite a process mutex, Postgres an advisory lock on a connection
//    of its own) and releases it after; 'held' — the lock is kept between runs until it is
//    lost or the worker stops (long-running leader jobs).
//  * at most one run at a time per worker; a tick that finds one in progress is skipped.
//  * the run's AbortSignal fires when the worker stops or the leadership it runs under is
//    lost; the job checks it between items. stop() waits for the run in progress.
//  * every run leaves the same record (registry.ts), log line and metrics, whatever the job.
import type { LeaderLock, Ledger } from '@s3o/store';
import type { Logger } from '@s3o/telemetry';
import { firstTickDelayMs, type FirstTickOptions } from './first-tick.js';
import { countRun, reportLeadership } from './metrics.js';
import { processWorkers, type LockMode, type RunOutcome, type WorkerRecord, type WorkerRegistry } from './registry.js';

/** Where leader locks come from: the ledger. */
export type LeaderLocks = Pick<Ledger, 'tryLeaderLock'>;

/** Why a tick or trigger did not run the job. */
export type SkipReason = 'busy' | 'not-leader' | 'stopped';

/** What one tick, wake or trigger came to. */
export type RunResult<C> =
  | { status: 'ok'; counts: C }
  /** the signal fired (stop, lost leadership); counts when the job still returned them */
  | { status: 'aborted'; counts: C | null; reason: string }
  | { status: 'failed'; error: Error }
  | { status: 'skipped'; reason: SkipReason };

/** How processes share the job. */
export type WorkerSharing =
  | { lock: 'none' }
  | { lock: 'per-run'; locks: LeaderLocks }
  | {
    lock: 'held';
    locks: LeaderLocks;
    /**
     * Every process runs the job, leader or not; the lock only says which one leads
     * (`holdsLock`), e.g. which one announces. The run's signal then fires on stop only.
     * Default false: only the holder runs.
     */
    runsWithoutLock?: boolean;
  };

/**
 * What an operator's run now was asked with (e.g. the scrubber's `key`, `backend`): handed to
 * that one run; scheduled runs have none. The job checks them.
 */
export type RunParams = Readonly<Record<string, string>>;

export type PeriodicWorkerOptions<C extends object> = WorkerSharing & {
  /** the job's name: in logs, records and metrics, and the leader lock's name */
  name: string;
  intervalMs: number;
  /**
   * One run of the job. Its numeric fields are the counts logged and recorded. A job that
   * counts as it goes hands its counts object to `progress` once, and keeps updating it: the
   * record's `progress` reads it while the run lasts (an operator's pass streams it).
   */
  run: (signal: AbortSignal, progress: (counts: C) => void, params?: RunParams) => Promise<C>;
  /**
   * Whether a run's counts are news, logged at info (otherwise at debug). Default: any count
   * above 0. Jobs whose counts are never 0 (keys listed, backends probed) say what matters.
   */
  noteworthy?: (counts: C) => boolean;
  logger: Logger;
  /** default: the process's registry (processWorkers) */
  registry?: WorkerRegistry;
  firstTick?: FirstTickOptions;
  /** epoch ms, for the records; default Date.now */
  clock?: () => number;
  /** [0, 1), for the first tick's delay; default Math.random */
  random?: () => number;
};

type MutableRecord = { -readonly [K in keyof WorkerRecord]: WorkerRecord[K] };

export class PeriodicWorker<C extends object = Record<string, number>> {
  readonly name: string;
  private readonly stopping = new AbortController();
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly registry: WorkerRegistry;
  private readonly state: MutableRecord;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RunResult<C>> | null = null;
  /** a wake() came during a run: run once more when it ends */
  private again = false;
  /** the counts object the run in progress updates as it goes (run's `progress`) */
  private live: C | null = null;
  /** lock 'held': the lock kept between runs */
  private held: LeaderLock | null = null;
  private stopped: Promise<void> | null = null;
  /** retire(): no tick, wake or trigger starts a run any more; the run in progress finishes */
  private retiring = false;
  /** the interval in force (reschedule() changes it) */
  private intervalMs: number;

  constructor(private readonly options: PeriodicWorkerOptions<C>) {
    if (!(options.intervalMs > 0)) throw new RangeError(`worker ${options.name}: intervalMs must be greater than 0`);
    this.name = options.name;
    this.intervalMs = options.intervalMs;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.registry = options.registry ?? processWorkers;
    this.state = {
      name: options.name, lock: options.lock, intervalMs: options.intervalMs, running: false, holdsLock: false, runs: 0,
      lastStartedAt: null, lastFinishedAt: null, lastOutcome: null, lastCounts: null, lastSuccessAt: null,
      lastFailureAt: null, lastError: null, consecutiveFailures: 0, nextTickAt: null,
    };
  }

  get lockMode(): LockMode {
    return this.options.lock;
  }

  /** This process holds the job's leader lock now. */
  get holdsLock(): boolean {
    return this.state.holdsLock;
  }

  /** A copy of the worker's record. */
  record(): WorkerRecord {
    const live = this.state.running ? this.live : null;
    return { ...this.state, lastCounts: this.state.lastCounts && { ...this.state.lastCounts }, progress: live && numericFields(live) };
  }

  /** Joins the registry and starts ticking: the first tick after a short random delay. */
  start(): void {
    if (this.timer || this.stopping.signal.aborted || this.retiring) return;
    this.registry.add(this);
    this.schedule(firstTickDelayMs(this.intervalMs, this.random, this.options.firstTick));
  }

  /**
   * A new interval (a reloaded configuration): the next tick comes at the new interval after
   * the last one, or at once when that is already past; a run in progress is left alone.
   */
  reschedule(intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`worker ${this.name}: intervalMs must be greater than 0`);
    if (intervalMs === this.intervalMs) return;
    const previous = this.intervalMs;
    this.intervalMs = intervalMs;
    this.state.intervalMs = intervalMs;
    if (!this.timer || this.state.nextTickAt === null) return;
    const lastTick = this.state.nextTickAt - previous;
    clearTimeout(this.timer);
    this.schedule(Math.max(0, Math.min(this.state.nextTickAt, lastTick + intervalMs) - this.clock()));
  }

  /**
   * Stops for good without cutting short the run in progress (a job a reload turned off):
   * no tick, wake or trigger starts another, the run finishes, then the worker stops as
   * stop() does. A stop() meanwhile aborts the run as usual.
   */
  retire(): Promise<void> {
    this.retiring = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.state.nextTickAt = null;
    this.again = false;
    return (async () => {
      while (this.running) await this.running;
      await this.stop();
    })();
  }

  /** Runs the job now, or once more as soon as the run in progress ends. Never throws. */
  wake(): void {
    if (this.stopping.signal.aborted || this.retiring) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.begin();
  }

  /**
   * Runs the job now and answers with what happened. Refuses — `{ status: 'skipped',
   * reason: 'busy' }`, at once — while a run is in progress (scheduled or not); 'not-leader'
   * when another process holds the lock. Never throws.
   */
  trigger(params?: RunParams): Promise<RunResult<C>> {
    if (this.stopping.signal.aborted || this.retiring) return Promise.resolve({ status: 'skipped', reason: 'stopped' });
    if (this.running) return Promise.resolve({ status: 'skipped', reason: 'busy' });
    return this.begin(params);
  }

  /** Stops ticking, aborts the run in progress and waits for it, gives the lock back, leaves the registry. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.state.nextTickAt = null;
      this.again = false;
      this.stopping.abort(new Error(`worker ${this.name} is stopping`));
      while (this.running) await this.running;
      const held = this.held;
      this.held = null;
      if (held) await this.release(held);
      this.registry.remove(this);
    })();
    return this.stopped;
  }

  private schedule(delayMs: number): void {
    this.state.nextTickAt = this.clock() + delayMs;
    this.timer = setTimeout(() => {
      this.schedule(this.intervalMs);
      // A tick that finds a run in progress is skipped: the next one comes at the interval.
      if (!this.running) void this.begin();
    }, delayMs);
    // A worker must not keep a process alive that is otherwise done.
    this.timer.unref();
  }

  private begin(params?: RunParams): Promise<RunResult<C>> {
    const run = this.lead(params).finally(() => {
      this.running = null;
      if (this.again && !this.stopping.signal.aborted && !this.retiring) {
        this.again = false;
        void this.begin();
      }
    });
    this.running = run;
    return run;
  }

  /** Takes the lock the sharing mode asks for, runs the job under it, records the result. */
  private async lead(params?: RunParams): Promise<RunResult<C>> {
    const { options } = this;
    if (options.lock === 'none') return this.execute(this.stopping.signal, params);

    if (options.lock === 'held') {
      let lock: LeaderLock | null = null;
      try {
        lock = await this.holdLock(options.locks);
      } catch (err) {
        if (!options.runsWithoutLock) return this.lockFailed(err);
        // The job runs anyway (it does not need to lead); only the lead waits for a lock.
        options.logger.warn({ err, worker: this.name }, `${this.name}: leader lock unavailable; running without it`);
      }
      if (options.runsWithoutLock) return this.execute(this.stopping.signal, params);
      if (!lock) return this.skip();
      return this.execute(anySignal(this.stopping.signal, lock.lost), params);
    }

    let lock: LeaderLock | null;
    try {
      lock = await options.locks.tryLeaderLock(this.name);
    } catch (err) {
      return this.lockFailed(err);
    }
    if (!lock) return this.skip();
    this.setHoldsLock(true);
    try {
      return await this.execute(anySignal(this.stopping.signal, lock.lost), params);
    } finally {
      this.setHoldsLock(false);
      await this.release(lock);
    }
  }

  /** Lock 'held': the lock kept from an earlier run, or a new one; null when another process holds it. */
  private async holdLock(locks: LeaderLocks): Promise<LeaderLock | null> {
    if (this.held && !this.held.lost?.aborted) return this.held;
    this.held = null;
    const lock = await locks.tryLeaderLock(this.name);
    if (!lock) return null;
    if (this.stopping.signal.aborted) {
      await this.release(lock);
      return null;
    }
    this.held = lock;
    this.setHoldsLock(true);
    lock.lost?.addEventListener('abort', () => {
      if (this.held !== lock) return;
      this.held = null;
      this.setHoldsLock(false);
      this.options.logger.warn({ worker: this.name, reason: reasonOf(lock.lost) }, `${this.name}: leadership lost`);
    }, { once: true });
    return lock;
  }

  private async execute(signal: AbortSignal, params?: RunParams): Promise<RunResult<C>> {
    const { logger } = this.options;
    const started = this.clock();
    this.state.runs++;
    this.state.lastStartedAt = started;
    this.state.running = true;
    let result: RunResult<C>;
    try {
      this.live = null;
      const counts = await this.options.run(signal, (c) => void (this.live = c), params);
      result = signal.aborted ? { status: 'aborted', counts, reason: reasonOf(signal) } : { status: 'ok', counts };
    } catch (err) {
      result = signal.aborted ? { status: 'aborted', counts: null, reason: reasonOf(signal) } : { status: 'failed', error: asError(err) };
    }
    const finished = this.clock();
    this.state.running = false;
    this.live = null;
    this.state.lastFinishedAt = finished;
    this.state.lastOutcome = result.status as RunOutcome;
    const durationMs = finished - started;
    switch (result.status) {
      case 'ok': {
        const counts = numericFields(result.counts);
        this.state.lastCounts = counts;
        this.state.lastSuccessAt = finished;
        this.state.consecutiveFailures = 0;
        const news = this.options.noteworthy ? this.options.noteworthy(result.counts) : Object.values(counts).some((n) => n > 0);
        logger[news ? 'info' : 'debug']({ worker: this.name, ...counts, durationMs }, `${this.name} run done`);
        break;
      }
      case 'aborted': {
        const counts = result.counts ? numericFields(result.counts) : null;
        if (counts) this.state.lastCounts = counts;
        logger.info({ worker: this.name, ...counts, durationMs, reason: result.reason }, `${this.name} run stopped early`);
        break;
      }
      case 'failed':
        this.noteFailure(result.error, finished);
        logger.error({ err: result.error, worker: this.name, durationMs }, `${this.name} run failed; retrying at the next tick`);
        break;
    }
    countRun(this.name, result.status as RunOutcome, finished);
    return result;
  }

  private skip(): RunResult<C> {
    this.options.logger.debug({ worker: this.name }, `${this.name}: another process holds the lock; skipped`);
    return { status: 'skipped', reason: 'not-leader' };
  }

  private lockFailed(err: unknown): RunResult<C> {
    const error = new Error(`leader lock unavailable: ${asError(err).message}`, { cause: err });
    this.noteFailure(error, this.clock());
    countRun(this.name, 'failed', this.clock());
    this.options.logger.error({ err, worker: this.name }, `${this.name}: leader lock unavailable; retrying at the next tick`);
    return { status: 'failed', error };
  }

  private noteFailure(error: Error, at: number): void {
    this.state.lastFailureAt = at;
    this.state.lastError = error.message;
    this.state.consecutiveFailures++;
  }

  private setHoldsLock(holds: boolean): void {
    this.state.holdsLock = holds;
    reportLeadership(this.name, holds);
  }

  private async release(lock: LeaderLock): Promise<void> {
    if (lock === this.held) this.held = null;
    if (this.options.lock === 'held') this.setHoldsLock(false);
    try {
      await lock.release();
    } catch (err) {
      // The lock's connection is gone, and with it the lock.
      this.options.logger.warn({ err, worker: this.name }, `${this.name}: releasing the leader lock failed`);
    }
  }
}

function anySignal(stop: AbortSignal, lost: AbortSignal | undefined): AbortSignal {
  return lost ? AbortSignal.any([stop, lost]) : stop;
}

function reasonOf(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason.message : String(reason);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The numeric fields of a job's counts (a job may return more, e.g. a list). */
function numericFields(counts: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(counts)) if (typeof value === 'number') out[key] = value;
  return out;
}
