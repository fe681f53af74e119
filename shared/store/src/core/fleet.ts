// Heartbeats of the fleet's processes and the passes asked of them (FleetLedger, fleet.ts).

/** Finished job runs are kept this long (an operator's answer has long been given). */
const KEEP_JOB_RUNS_MS = 24 * 60 * 60_000;
import type { FleetLedger, JobRun, ProcessHeartbeat } from '../fleet.js';
import type { Core } from './tx-work.js';

export function fleetOperations(core: Core): FleetLedger {
  return {
    async recordHeartbeat(heartbeat: Omit<ProcessHeartbeat, 'seenAt'>, forgetAfterMs: number): Promise<void> {
      await core.withWork(async ({ tx, now }) => {
        await tx.upsertHeartbeat({ ...heartbeat, seenAt: now });
        await tx.deleteHeartbeatsBefore(now - forgetAfterMs);
      });
    },

    async listHeartbeats(seenAfter: number): Promise<ProcessHeartbeat[]> {
      return core.read((q) => q.selectHeartbeats(seenAfter));
    },

    async requestJobRun(run: { id: string; job: string; worker: string; params?: Record<string, string> | undefined }): Promise<void> {
      await core.withWork(async ({ tx, now }) => {
        await tx.deleteJobRunsBefore(now - KEEP_JOB_RUNS_MS);
        await tx.insertJobRun({ ...run, requestedAt: now });
      });
    },

    async claimJobRun(workers: string[], claimedBy: string): Promise<JobRun | null> {
      if (workers.length === 0) return null;
      // Every process polls every second: only a waiting request is worth a write transaction.
      if (!(await core.read((q) => q.hasRequestedJobRun(workers)))) return null;
      return core.withWork(({ tx, now }) => tx.claimJobRun(workers, claimedBy, now));
    },

    async finishJobRun(id: string, outcome: unknown): Promise<void> {
      await core.withWork(({ tx, now }) => tx.finishJobRun(id, outcome, now));
    },

    async withdrawJobRun(id: string): Promise<boolean> {
      return core.withWork(({ tx, now }) => tx.withdrawJobRun(id, now));
    },

    async getJobRun(id: string): Promise<JobRun | null> {
      return core.read((q) => q.selectJobRun(id));
    },
  };
}
