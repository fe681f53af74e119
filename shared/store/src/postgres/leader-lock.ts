// Leadership for periodic sweeps: a session advisory lock held on a connection of its own
// for as long as the leadership lasts. A session lock taken through the pool would sit on
// whichever pooled connection ran the query, be dropped by its reset (DISCARD ALL), and
// could not tell its holder when it is gone. Here the holder owns the connection: when it
// dies (the server terminated the backend, the network failed, a ping failed), Postgres has
// released the lock or will, and `lost` is aborted so the sweep can stop.
import type pg from 'pg';
import type { LeaderLock } from '../tx-adapter.js';
import { LEADER_LOCK_SPACE } from './advisory-locks.js';
import { connectClient, type ConnectionSettings } from './connection-settings.js';

export interface LeaderLockOptions {
  /** How often the lock's connection is checked while nothing else uses it; default 5000. */
  checkIntervalMs?: number;
}

/** A held advisory lock and the connection it lives on. */
export class AdvisoryLeaderLock implements LeaderLock {
  private readonly lostController = new AbortController();
  private readonly check: NodeJS.Timeout;
  private released: Promise<void> | null = null;

  /** Aborted (reason: the error) when the connection holding the lock is lost; not by release(). */
  readonly lost: AbortSignal = this.lostController.signal;

  private constructor(
    private readonly client: pg.Client,
    private readonly name: string,
    /** The backend process id of the lock's connection (pg_stat_activity.pid). */
    readonly backendPid: number,
    checkIntervalMs: number,
    private readonly onEnd: (lock: AdvisoryLeaderLock) => void,
  ) {
    client.on('error', (err) => this.lose(err));
    client.on('end', () => this.lose(new Error('the connection holding the lock closed')));
    // A silently broken network shows only when the connection is used: ping it, so a
    // partitioned leader steps down instead of sweeping on. The query fails or times out.
    this.check = setInterval(() => {
      this.client.query('SELECT 1').catch((err: Error) => this.lose(err));
    }, checkIntervalMs).unref();
  }

  /** The lock on `name`, or null when another session holds it. */
  static async acquire(
    settings: ConnectionSettings,
    name: string,
    options: LeaderLockOptions,
    onEnd: (lock: AdvisoryLeaderLock) => void,
  ): Promise<AdvisoryLeaderLock | null> {
    const checkIntervalMs = options.checkIntervalMs ?? 5000;
    const client = await connectClient(settings, { query_timeout: Math.max(checkIntervalMs, 1000) });
    try {
      const { rows } = await client.query<{ locked: boolean; pid: number }>(
        'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked, pg_backend_pid() AS pid',
        [LEADER_LOCK_SPACE, name],
      );
      const row = rows[0];
      if (!row?.locked) {
        await client.end();
        return null;
      }
      return new AdvisoryLeaderLock(client, name, row.pid, checkIntervalMs, onEnd);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
  }

  private lose(reason: Error): void {
    if (this.released || this.lost.aborted) return;
    clearInterval(this.check);
    this.lostController.abort(new Error(`leadership "${this.name}" lost: ${reason.message}`, { cause: reason }));
    this.onEnd(this);
    this.client.end().catch(() => {});
  }

  /** Unlock and close the connection; idempotent. */
  release(): Promise<void> {
    this.released ??= this.unlock();
    return this.released;
  }

  private async unlock(): Promise<void> {
    clearInterval(this.check);
    this.onEnd(this);
    if (this.lost.aborted) return;
    try {
      await this.client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LEADER_LOCK_SPACE, this.name]);
    } finally {
      // Closing the session releases the lock too; unlocking first frees the name at once
      // rather than when the server has processed the disconnect.
      await this.client.end().catch(() => {});
    }
  }
}
