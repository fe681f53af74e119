// process_heartbeats: one row per running process (fleet.ts).
import { sql } from 'slonik';
import { z } from 'zod';
import type { FleetReads, FleetWrites, JobRun, JobRunState, ProcessHeartbeat } from '../../fleet.js';
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

const jobRunRow = z
  .object({
    id: z.string(),
    job: z.string(),
    worker: z.string(),
    state: z.string(),
    requested_at: int8,
    claimed_by: z.string().nullable(),
    started_at: int8.nullable(),
    finished_at: int8.nullable(),
    outcome: z.unknown(),
    params: z.record(z.string()).nullable(),
  })
  .transform((r): JobRun => ({
    id: r.id,
    job: r.job,
    worker: r.worker,
    state: r.state as JobRunState,
    requestedAt: r.requested_at,
    claimedBy: r.claimed_by,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    outcome: r.outcome ?? null,
    params: r.params,
  }));

const JOB_COLUMNS = sql.fragment`id, job, worker, state, requested_at, claimed_by, started_at, finished_at, outcome, params`;

export function fleetReads(db: Queries): FleetReads {
  return {
    async selectHeartbeats(seenAfter) {
      return [...(await db.any(sql.type(heartbeatRow)`
        SELECT process_id, service, host, pid, version, started_at, seen_at, workers FROM process_heartbeats
         WHERE seen_at > ${seenAfter} ORDER BY service, process_id`))];
    },
    async hasRequestedJobRun(workers) {
      const row = await db.maybeOne(sql.type(z.object({ one: z.number() }))`
        SELECT 1 AS one FROM job_runs WHERE state = 'requested' AND worker = ANY(${sql.array(workers, 'text')}) LIMIT 1`);
      return row !== null;
    },
    async selectJobRun(id) {
      return db.maybeOne(sql.type(jobRunRow)`SELECT ${JOB_COLUMNS} FROM job_runs WHERE id = ${id}`);
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
    async insertJobRun(run) {
      await db.query(sql.unsafe`
        INSERT INTO job_runs (id, job, worker, state, requested_at, params)
        VALUES (${run.id}, ${run.job}, ${run.worker}, 'requested', ${run.requestedAt}, ${run.params ? jsonParam(run.params, 'jsonb') : null})`);
    },
    async deleteJobRunsBefore(before) {
      await db.query(sql.unsafe`
        DELETE FROM job_runs WHERE state IN ('finished', 'unclaimed') AND COALESCE(finished_at, requested_at) < ${before}`);
    },
    // SKIP LOCKED: two processes claiming at once take different rows (or one takes none).
    async claimJobRun(workers, claimedBy, now) {
      return db.maybeOne(sql.type(jobRunRow)`
        UPDATE job_runs SET state = 'running', claimed_by = ${claimedBy}, started_at = ${now}
         WHERE id = (SELECT id FROM job_runs WHERE state = 'requested' AND worker = ANY(${sql.array(workers, 'text')})
                      ORDER BY requested_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING ${JOB_COLUMNS}`);
    },
    async finishJobRun(id, outcome, now) {
      await db.query(sql.unsafe`
        UPDATE job_runs SET state = 'finished', finished_at = ${now}, outcome = ${jsonParam(outcome, 'jsonb')} WHERE id = ${id}`);
    },
    async withdrawJobRun(id, now) {
      const result = await db.query(sql.unsafe`
        UPDATE job_runs SET state = 'unclaimed', finished_at = ${now} WHERE id = ${id} AND state = 'requested'`);
      return result.rowCount > 0;
    },
  };
}
