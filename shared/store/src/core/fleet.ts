// Heartbeats of the fleet's processes (FleetLedger, fleet.ts).
import type { FleetLedger, ProcessHeartbeat } from '../fleet.js';
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
  };
}
