// process_heartbeats: one row per running process (fleet.ts).
import type { FleetReads, FleetWrites, JobRun, JobRunState, ProcessHeartbeat } from '../../fleet.js';
import { int, intOrNull, type SqliteConnection } from '../connection.js';

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

interface RawJobRun {
  id: string;
  job: string;
  worker: string;
  state: string;
  requested_at: bigint;
  claimed_by: string | null;
  started_at: bigint | null;
  finished_at: bigint | null;
  outcome: string | null;
  params: string | null;
}

function jobRunFromRow(r: RawJobRun): JobRun {
  return {
    id: r.id,
    job: r.job,
    worker: r.worker,
    state: r.state as JobRunState,
    requestedAt: int(r.requested_at),
    claimedBy: r.claimed_by,
    startedAt: intOrNull(r.started_at),
    finishedAt: intOrNull(r.finished_at),
    outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as unknown),
    params: r.params === null ? null : (JSON.parse(r.params) as Record<string, string>),
  };
}

const JOB_COLUMNS = 'id, job, worker, state, requested_at, claimed_by, started_at, finished_at, outcome, params';

export function fleetReads(c: SqliteConnection): FleetReads {
  return {
    async selectHeartbeats(seenAfter) {
      return c.all<RawHeartbeat>(
        `SELECT process_id, service, host, pid, version, started_at, seen_at, workers FROM process_heartbeats
          WHERE seen_at > @seenAfter ORDER BY service, process_id`,
        { seenAfter },
      ).map(heartbeatFromRow);
    },
    async hasRequestedJobRun(workers) {
      return c.get<{ one: bigint }>(
        `SELECT 1 AS one FROM job_runs WHERE state = 'requested' AND worker IN (SELECT value FROM json_each(@workers)) LIMIT 1`,
        { workers: JSON.stringify(workers) },
      ) !== undefined;
    },
    async selectJobRun(id) {
      const row = c.get<RawJobRun>(`SELECT ${JOB_COLUMNS} FROM job_runs WHERE id = @id`, { id });
      return row ? jobRunFromRow(row) : null;
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
    async insertJobRun(run) {
      c.run(
        `INSERT INTO job_runs (id, job, worker, state, requested_at, params) VALUES (@id, @job, @worker, 'requested', @requestedAt, @params)`,
        { id: run.id, job: run.job, worker: run.worker, requestedAt: run.requestedAt, params: run.params ? JSON.stringify(run.params) : null },
      );
    },
    async deleteJobRunsBefore(before) {
      c.run(`DELETE FROM job_runs WHERE state IN ('finished', 'unclaimed') AND COALESCE(finished_at, requested_at) < @before`, { before });
    },
    // SQLite has one writer at a time: the select and the update cannot interleave with another claim.
    async claimJobRun(workers, claimedBy, now) {
      const row = c.get<RawJobRun>(
        `UPDATE job_runs SET state = 'running', claimed_by = @claimedBy, started_at = @now
          WHERE id = (SELECT id FROM job_runs WHERE state = 'requested' AND worker IN (SELECT value FROM json_each(@workers))
                       ORDER BY requested_at, id LIMIT 1)
         RETURNING ${JOB_COLUMNS}`,
        { workers: JSON.stringify(workers), claimedBy, now },
      );
      return row ? jobRunFromRow(row) : null;
    },
    async finishJobRun(id, outcome, now) {
      c.run(`UPDATE job_runs SET state = 'finished', finished_at = @now, outcome = @outcome WHERE id = @id`, { id, now, outcome: JSON.stringify(outcome) });
    },
    async withdrawJobRun(id, now) {
      return c.run(`UPDATE job_runs SET state = 'unclaimed', finished_at = @now WHERE id = @id AND state = 'requested'`, { id, now }) > 0;
    },
  };
}
