// Running a periodic job now, for operators:
//   POST jobs/{job}/run   one pass of the job in this process, now. Plain JSON answers when it
//                         ended; with `Accept: application/x-ndjson` the answer streams one JSON
//                         line per step — {"event":"started"}, {"event":"running","elapsed_ms",
//                         "counts"} every second (the pass's counts so far, when the job reports
//                         them: live in this process, from the runner's heartbeat otherwise),
//                         then the summary {"event":"done","counts"} or {"event":"failed"}.
// The pass runs where the job runs (job-runs.ts): here, or in the placement or cleanup process.
// `scrub` takes a scope in the query: `bucket` and `key` (one object's copies) and/or `backend`
// (only copies there); other jobs take none. An unknown bucket, key or backend is refused
// before anything runs.
// A job whose pass is running — the scheduled one, or another operator's — is refused with 409
// JobBusy, never queued; so is one whose leader lock another process holds. A job no process
// runs (not configured, e.g. lifecycle without rules, or its service is down) is 503 NotRunHere.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RunParams, RunResult } from '@s3o/workers';
import type { GatewayDeps } from '../context.js';
import { queryOf } from './query.js';
import { AdminError, sendJson } from './respond.js';
import { TRIGGERS, type TriggerName } from './route-table.js';
import { startPass, type Pass } from './job-runs.js';

const PROGRESS_EVERY_MS = 1000;

function isTrigger(name: string): name is TriggerName {
  return Object.hasOwn(TRIGGERS, name);
}

/** What the pass came to, or an AdminError when it did not run. */
function outcome(job: string, result: RunResult<object> | null): Record<string, unknown> {
  if (result === null) {
    throw new AdminError(503, 'NotRunHere', `no process runs ${job} now (not configured, or its service is not running)`);
  }
  switch (result.status) {
    case 'ok': return { status: 'ok', counts: result.counts };
    case 'aborted': return { status: 'aborted', reason: result.reason, counts: result.counts };
    case 'failed': return { status: 'failed', error: result.error.message };
    case 'skipped':
      if (result.reason === 'stopped') throw new AdminError(503, 'NotRunHere', `the process that runs ${job} is stopping`);
      throw new AdminError(409, 'JobBusy', result.reason === 'busy'
        ? `a ${job} pass is running now; try again when it has finished`
        : `another process holds the ${job} leader lock and runs its pass; try again later`);
  }
}

export function registerJobRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/jobs/:job/run', async (request, reply) => {
    const job = (request.params as { job: string }).job;
    if (!isTrigger(job)) throw new AdminError(404, 'NoSuchJob', `no job is named ${JSON.stringify(job)}; jobs: ${Object.keys(TRIGGERS).join(', ')}`);
    const params = await runParams(deps, job, queryOf(request));
    const pass = await startPass(deps, job, params);
    const streaming = (request.headers.accept ?? '').includes('application/x-ndjson');
    if (!streaming) {
      const result = outcome(job, await pass.result);
      return sendJson(reply, result['status'] === 'failed' ? 500 : 200, { job, ...result });
    }
    return stream(reply, job, pass);
  });
}

/** The scope of an operator's pass (only `scrub` has one); undefined = the whole job. */
async function runParams(deps: GatewayDeps, job: TriggerName, query: URLSearchParams): Promise<RunParams | undefined> {
  const bucket = query.get('bucket');
  const key = query.get('key');
  const backend = query.get('backend');
  if (bucket === null && key === null && backend === null) return undefined;
  if (job !== 'scrub') throw new AdminError(400, 'InvalidArgument', `${job} takes no bucket, key or backend; only scrub does`);
  const params: Record<string, string> = {};
  if (bucket !== null || key !== null) {
    if (!bucket || !key) throw new AdminError(400, 'InvalidArgument', 'bucket and key go together');
    if (!deps.config.buckets.some((b) => b.name === bucket)) throw new AdminError(404, 'NoSuchBucket', `no virtual bucket is named ${JSON.stringify(bucket)}`);
    if (!(await deps.ledger.getObject(`${bucket}/${key}`))) throw new AdminError(404, 'NoSuchKey', `${bucket}/${key} is not in the ledger`);
    params['key'] = `${bucket}/${key}`;
  }
  if (backend !== null) {
    if (!deps.config.backends.some((b) => b.name === backend)) throw new AdminError(404, 'NoSuchBackend', `no backend is named ${JSON.stringify(backend)}`);
    params['backend'] = backend;
  }
  return params;
}

/**
 * Streams the pass as NDJSON. A pass refused before it started (busy, not run anywhere) is
 * answered with its status code instead, so the 200 of a stream means the pass ran.
 */
async function stream(reply: FastifyReply, job: string, pass: Pass): Promise<FastifyReply> {
  const started = Date.now();
  const early = await Promise.race([pass.result.then((r) => ({ r })), pass.started.then(() => null)]);
  if (early) outcome(job, early.r); // throws the refusal with its status
  const res = reply.raw;
  reply.hijack();
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store', 'x-amz-request-id': reply.request.id });
  const line = (value: object) => res.write(`${JSON.stringify(value)}\n`);
  line({ event: 'started', job, at: new Date(started).toISOString() });
  // One progress line a second; a slow read of the counts (a heartbeat query) skips a beat rather than piling up.
  let reading = false;
  const ticker = setInterval(() => {
    if (reading) return;
    reading = true;
    pass.progress().then(
      (counts) => line({ event: 'running', job, elapsed_ms: Date.now() - started, ...(counts ? { counts } : {}) }),
      () => line({ event: 'running', job, elapsed_ms: Date.now() - started }),
    ).finally(() => (reading = false));
  }, PROGRESS_EVERY_MS);
  try {
    const result = outcome(job, early ? early.r : await pass.result);
    line({ event: result['status'] === 'failed' ? 'failed' : 'done', job, elapsed_ms: Date.now() - started, ...result });
  } catch (err) {
    line({ event: 'failed', job, elapsed_ms: Date.now() - started, error: err instanceof Error ? err.message : String(err) });
  } finally {
    clearInterval(ticker);
    res.end();
  }
  return reply;
}
