// A periodic sweep that exactly one process runs at a time (DESIGN §2): every tick it tries
// the named leader lock (SQLite: a process mutex; Postgres: an advisory lock on a connection
// of its own) and runs one pass only when it got it. A pass sees an AbortSignal that fires
// when the leadership is lost or the service stops, and checks it between items.
import type { LeaderLocks } from '@s3o/store';
import type { Logger } from '@s3o/telemetry';

export interface LeaderSweepOptions {
  /** the leader lock's name, also used in logs */
  name: string;
  intervalMs: number;
  ledger: LeaderLocks;
  logger: Logger;
  /** One pass; its counts are logged (at info when any is non-zero, else at debug). */
  pass: (signal: AbortSignal) => Promise<Record<string, number>>;
}

/** What one tick did: ran a pass, or not (another holder has the lock, or a pass is running). */
export type TickResult = { ran: true; outcome: Record<string, number> } | { ran: false };

export class LeaderSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<TickResult> | null = null;
  private readonly stopping = new AbortController();

  constructor(private readonly options: LeaderSweepOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** One tick now. Never throws: a failed pass is logged and tried again at the next tick. */
  tick(): Promise<TickResult> {
    if (this.stopping.signal.aborted) return Promise.resolve({ ran: false });
    if (this.running) return Promise.resolve({ ran: false });
    this.running = this.lead().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async lead(): Promise<TickResult> {
    const { name, ledger, logger, pass } = this.options;
    try {
      const lock = await ledger.tryLeaderLock(name);
      if (!lock) {
        logger.debug({ sweep: name }, 'another process holds the sweep; skipped');
        return { ran: false };
      }
      try {
        const signal = lock.lost ? AbortSignal.any([lock.lost, this.stopping.signal]) : this.stopping.signal;
        const outcome = await pass(signal);
        const busy = Object.values(outcome).some((n) => n > 0);
        logger[busy ? 'info' : 'debug']({ sweep: name, ...outcome }, `${name} pass done`);
        return { ran: true, outcome };
      } finally {
        await lock.release();
      }
    } catch (err) {
      logger.error({ err, sweep: name }, `${name} pass failed; retrying at the next tick`);
      return { ran: false };
    }
  }

  /** Stops ticking; a pass in progress is told to stop and waited for. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort(new Error('the cleanup service is stopping'));
    await this.running;
  }
}
