// process_heartbeats: one row per running process (fleet.ts).
import { sql } from 'slonik';
import { z } from 'zod';
import type { FleetReads, FleetWrites, ProcessHeartbeat } from '../../fleet.js';
import { int8, jsonParam } from '../columns.js';
import type { Queries } from '../queries.js';

const heartbeatRow = z
  .object({
    process_id: z.string(),
    service: z.string(),
    host: z.string(),
    pid: z.number(),
    version: z.string(),
    started_at: int8,
    seen_at: int8,
    workers: z.array(z.unknown()),
  })
  .transform((r): ProcessHeartbeat => ({
    processId: r.process_id,
    service: r.service,
    host: r.host,
    pid: r.pid,
    version: r.version,
    startedAt: r.started_at,
    seenAt: r.seen_at,
    workers: r.workers,
  }));

export function fleetReads(db: Queries): FleetReads {
  return {
    async selectHeartbeats(seenAfter) {
      return [...(await db.any(sql.type(heartbeatRow)`
        SELECT process_id, service, host, pid, version, started_at, seen_at, workers FROM process_heartbeats
         WHERE seen_at > ${seenAfter} ORDER BY service, process_id`))];
    },
  };
}

export function fleetWrites(db: Queries): FleetWrites {
  return {
    async upsertHeartbeat(h) {
      await db.query(sql.unsafe`
        INSERT INTO process_heartbeats (process_id, service, host, pid, version, started_at, seen_at, workers)
        VALUES (${h.processId}, ${h.service}, ${h.host}, ${h.pid}, ${h.version}, ${h.startedAt}, ${h.seenAt}, ${jsonParam(h.workers, 'jsonb')})
        ON CONFLICT (process_id) DO UPDATE SET seen_at = EXCLUDED.seen_at, workers = EXCLUDED.workers, version = EXCLUDED.version`);
    },
    async deleteHeartbeatsBefore(seenBefore) {
      await db.query(sql.unsafe`DELETE FROM process_heartbeats WHERE seen_at < ${seenBefore}`);
    },
  };
}
