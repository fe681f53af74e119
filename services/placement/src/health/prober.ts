// The cluster's view of backend health (DESIGN §5): the placement service probes every
// backend whose breaker is closed with HeadBucket in the background, so its breakers learn
// of a dead backend even when nothing else calls it (open breakers probe themselves, see
// shared/backends/src/breaker.ts), and it announces every change of its breakers as
// `backend.circuit.opened` / `.closed`. Only the holder of the leader lock announces, so two
// placement replicas do not both emit; every replica still probes, for its own breakers.
import { backendCircuitChanged } from '@s3o/events';
import type { BackendBreakers, BackendClient, BreakerChange } from '@s3o/backends';
import type { EventLedger, LeaderLock, LeaderLocks } from '@s3o/store';
import type { Logger } from '@s3o/telemetry';

/** The leader lock's name: one placement process announces breaker changes. */
export const HEALTH_LOCK = 'backend-health';

export interface HealthProberDeps {
  ledger: EventLedger & LeaderLocks;
  backends: Map<string, BackendClient>;
  breakers: BackendBreakers;
  logger: Logger;
  /** how often a closed backend is probed */
  intervalMs: number;
}

export class HealthProber {
  private timer: NodeJS.Timeout | null = null;
  private lock: LeaderLock | null = null;
  private readonly probing = new Set<string>();
  private readonly stopping = new AbortController();
  private removeListener: (() => void) | null = null;
  /** announcements in order, so opened/closed of one backend are appended in that order */
  private announcing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: HealthProberDeps) {}

  start(): void {
    this.removeListener = this.deps.breakers.onChange((change) => this.changed(change));
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopping.abort(new Error('the placement service is stopping'));
    if (this.timer) clearInterval(this.timer);
    this.removeListener?.();
    await this.announcing;
    await this.lock?.release();
    this.lock = null;
  }

  private async tick(): Promise<void> {
    await this.holdLeadership();
    for (const [name, client] of this.deps.backends) {
      if (this.stopping.signal.aborted) return;
      if (this.deps.breakers.state(name) === 'open' || this.probing.has(name)) continue;
      this.probing.add(name);
      // The outcome reaches the breaker through the client's observer; nothing to do here.
      client.headBucket({ signal: this.stopping.signal })
        .catch(() => undefined)
        .finally(() => this.probing.delete(name));
    }
  }

  private async holdLeadership(): Promise<void> {
    if (this.lock && !this.lock.lost?.aborted) return;
    this.lock = null;
    try {
      this.lock = await this.deps.ledger.tryLeaderLock(HEALTH_LOCK);
    } catch (err) {
      this.deps.logger.warn({ err }, 'backend health: leader lock unavailable');
    }
  }

  private changed(change: BreakerChange): void {
    const log = change.state === 'open' ? this.deps.logger.warn.bind(this.deps.logger) : this.deps.logger.info.bind(this.deps.logger);
    log({ backend: change.backend, reason: change.reason }, `backend circuit ${change.state === 'open' ? 'opened' : 'closed'}`);
    if (!this.lock || this.lock.lost?.aborted) return;
    const event = backendCircuitChanged(change.state, change.backend, change.reason);
    this.announcing = this.announcing
      .then(() => this.deps.ledger.appendEvents([event]))
      .catch((err: unknown) => this.deps.logger.warn({ err, backend: change.backend }, 'could not record a backend circuit event'));
  }
}
