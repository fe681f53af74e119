// This process's heartbeat: every few seconds one process_heartbeats row with who it is and
// its workers' outcome records, so a gateway can show the whole fleet — services, versions,
// uptimes and every periodic job's record — in both run modes, without asking processes
// directly (docs/architecture.md §9).
import type { FleetLedger } from '@s3o/store';
import type { Logger } from '@s3o/telemetry';
import { PeriodicWorker } from './periodic-worker.js';
import { processWorkers, type WorkerRegistry } from './registry.js';

/** How often a process writes its heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A process not heard from for this long is not listed (it stopped, or cannot reach the ledger). */
export const HEARTBEAT_SEEN_WITHIN_MS = 4 * HEARTBEAT_INTERVAL_MS;
/** Rows this old are deleted by the next heartbeat of any process. */
const FORGET_AFTER_MS = 60 * 60_000;

export interface ProcessIdentity {
  service: string;
  version: string;
  host: string;
  pid: number;
  startedAt: number;
}

export function processIdOf(p: ProcessIdentity): string {
  return `${p.service}@${p.host}:${p.pid}:${p.startedAt}`;
}

export function startHeartbeat(deps: {
  ledger: FleetLedger;
  identity: ProcessIdentity;
  logger: Logger;
  registry?: WorkerRegistry;
  intervalMs?: number;
}): PeriodicWorker<{ workers: number }> {
  const registry = deps.registry ?? processWorkers;
  const worker = new PeriodicWorker({
    name: 'process-heartbeat',
    lock: 'none',
    intervalMs: deps.intervalMs ?? HEARTBEAT_INTERVAL_MS,
    logger: deps.logger,
    registry,
    // At once: a process is listed as soon as it runs.
    firstTick: { maxDelayMs: 0 },
    noteworthy: () => false,
    run: async () => {
      const workers = registry.list();
      await deps.ledger.recordHeartbeat({ processId: processIdOf(deps.identity), ...deps.identity, workers }, FORGET_AFTER_MS);
      return { workers: workers.length };
    },
  });
  worker.start();
  return worker;
}
