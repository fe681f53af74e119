// The cluster's view of backend health (docs/architecture.md §5): the placement service probes every
// backend whose breaker is closed with HeadBucket in the background, so its breakers learn
// of a dead backend even when nothing else calls it (open breakers probe themselves, see
// shared/backends/src/breaker.ts), and it announces every change of its breakers as
// `backend.circuit.opened` / `.closed`. Only the holder of the leader lock announces, so two
// placement replicas do not both emit; every replica still probes, for its own breakers.
// The probes run on a PeriodicWorker that holds the `backend-health` lock continuously and
// runs in every process, leader or not.
import { backendCircuitChanged } from '@s3o/events';
import type { BackendBreakers, BackendClient, BreakerChange } from '@s3o/backends';
import type { EventLedger, LeaderLocks } from '@s3o/store';
import type { Logger } from '@s3o/telemetry';
import { PeriodicWorker } from '@s3o/workers';
import { PLACEMENT_WORKERS } from '../worker-names.js';

export interface HealthProberDeps {
  ledger: EventLedger & LeaderLocks;
  backends: Map<string, BackendClient>;
  breakers: BackendBreakers;
  logger: Logger;
  /** how often a closed backend is probed */
  intervalMs: number;
}

/** What one round of probes did. */
export interface ProbeCounts {
  /** closed backends a HeadBucket was sent to */
  probed: number;
}

export class HealthProber {
  readonly worker: PeriodicWorker<ProbeCounts>;
  /** backends with a probe in flight: a slow one is not probed twice, nor does it hold up the others */
  private readonly probing = new Set<string>();
  private removeListener: (() => void) | null = null;
  /** announcements in order, so opened/closed of one backend are appended in that order */
  private announcing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: HealthProberDeps) {
    this.worker = new PeriodicWorker({
      name: PLACEMENT_WORKERS.health, lock: 'held', locks: deps.ledger, runsWithoutLock: true,
      intervalMs: deps.intervalMs, logger: deps.logger,
      run: (signal) => this.probe(signal),
      // Probes are routine; what they find shows as breaker changes, logged below.
      noteworthy: () => false,
    });
  }

  start(): void {
    this.removeListener = this.deps.breakers.onChange((change) => this.changed(change));
    this.worker.start();
  }

  async stop(): Promise<void> {
    this.removeListener?.();
    await this.announcing;
    await this.worker.stop();
  }

  /** Sends a HeadBucket to every closed backend without one in flight; does not wait for the answers. */
  private async probe(signal: AbortSignal): Promise<ProbeCounts> {
    let probed = 0;
    for (const [name, client] of this.deps.backends) {
      if (signal.aborted) break;
      if (this.deps.breakers.state(name) === 'open' || this.probing.has(name)) continue;
      this.probing.add(name);
      probed++;
      // The outcome reaches the breaker through the client's observer; nothing to do here.
      client.headBucket({ signal })
        .catch(() => undefined)
        .finally(() => this.probing.delete(name));
    }
    return { probed };
  }

  private changed(change: BreakerChange): void {
    const log = change.state === 'open' ? this.deps.logger.warn.bind(this.deps.logger) : this.deps.logger.info.bind(this.deps.logger);
    log({ backend: change.backend, reason: change.reason }, `backend circuit ${change.state === 'open' ? 'opened' : 'closed'}`);
    if (!this.worker.holdsLock) return;
    const event = backendCircuitChanged(change.state, change.backend, change.reason);
    this.announcing = this.announcing
      .then(() => this.deps.ledger.appendEvents([event]))
      .catch((err: unknown) => this.deps.logger.warn({ err, backend: change.backend }, 'could not record a backend circuit event'));
  }
}
