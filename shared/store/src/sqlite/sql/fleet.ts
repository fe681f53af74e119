// process_heartbeats: one row per running process (fleet.ts).
import type { FleetReads, FleetWrites, ProcessHeartbeat } from '../../fleet.js';
import { int, type SqliteConnection } from '../connection.js';

interface RawHeartbeat {
  process_id: string;
  service: string;
  host: string;
  pid: bigint;
  version: string;
  started_at: bigint;
  seen_at: bigint;
  workers: string;
}

function heartbeatFromRow(r: RawHeartbeat): ProcessHeartbeat {
  return {
    processId: r.process_id,
    service: r.service,
    host: r.host,
    pid: int(r.pid),
    version: r.version,
    startedAt: int(r.started_at),
    seenAt: int(r.seen_at),
    workers: JSON.parse(r.workers) as unknown[],
  };
}

export function fleetReads(c: SqliteConnection): FleetReads {
  return {
    async selectHeartbeats(seenAfter) {
      return c.all<RawHeartbeat>(
        `SELECT process_id, service, host, pid, version, started_at, seen_at, workers FROM process_heartbeats
          WHERE seen_at > @seenAfter ORDER BY service, process_id`,
        { seenAfter },
      ).map(heartbeatFromRow);
    },
  };
}

export function fleetWrites(c: SqliteConnection): FleetWrites {
  return {
    async upsertHeartbeat(h) {
      c.run(
        `INSERT INTO process_heartbeats (process_id, service, host, pid, version, started_at, seen_at, workers)
         VALUES (@processId, @service, @host, @pid, @version, @startedAt, @seenAt, @workers)
         ON CONFLICT (process_id) DO UPDATE SET seen_at = excluded.seen_at, workers = excluded.workers, version = excluded.version`,
        { ...h, workers: JSON.stringify(h.workers) },
      );
    },
    async deleteHeartbeatsBefore(seenBefore) {
      c.run(`DELETE FROM process_heartbeats WHERE seen_at < @seenBefore`, { seenBefore });
    },
  };
}
