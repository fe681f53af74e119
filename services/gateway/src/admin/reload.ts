// Re-reading the configuration without a restart, for operators:
//   POST reload            this gateway process re-reads its file (as SIGHUP does): 200 with
//                          what changed, was applied and needs a restart; 422 when the file is
//                          invalid (nothing changed, the process keeps its configuration)
//   POST reload?all=true   every process seen by its heartbeat re-reads its own file (through
//                          job_runs, claimed by each process within a second); one answer each
//   GET  reload-status     this process's last reload
import type { FastifyInstance } from 'fastify';
import { newId } from '@s3o/store';
import { HEARTBEAT_SEEN_WITHIN_MS, processIdOf, reloadRequestOf } from '@s3o/workers';
import type { ConfigReload, GatewayDeps } from '../context.js';
import { AdminError, sendJson } from './respond.js';
import { queryOf } from './query.js';

const FOLLOW_EVERY_MS = 200;
/** A process that has not answered by then is reported as not answering. */
const ANSWER_TIMEOUT_MS = 15_000;

function reloaderOf(deps: GatewayDeps): ConfigReload {
  const reload = deps.operator?.reload;
  if (!reload) throw new AdminError(503, 'NotAvailable', 'this process was started without a configuration file to re-read');
  return reload;
}

export function registerReloadRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/reload', async (request, reply) => {
    const reloader = reloaderOf(deps);
    if (queryOf(request).get('all') !== 'true') {
      const status = await reloader.reload('admin-api');
      return sendJson(reply, status.ok ? 200 : 422, status);
    }
    const me = processIdOf(deps.operator!.process);
    const others = (await deps.ledger.listHeartbeats(Date.now() - HEARTBEAT_SEEN_WITHIN_MS)).filter((p) => p.processId !== me);
    const asked = await Promise.all(others.map(async (p) => {
      const id = newId();
      await deps.ledger.requestJobRun({ id, job: 'reload', worker: reloadRequestOf(p.processId) });
      return { id, process: p };
    }));
    const own = await reloader.reload('admin-api --all');
    const answers = await Promise.all(asked.map(async ({ id, process }) => ({
      process_id: process.processId,
      service: process.service,
      ...(await answerOf(deps, id)),
    })));
    const processes = [{ process_id: me, service: deps.operator!.process.service, status: own }, ...answers];
    const ok = processes.every((p) => 'status' in p && p.status !== null && (p.status as { ok?: boolean }).ok === true);
    return sendJson(reply, ok ? 200 : 422, { ok, processes });
  });

  app.get('/reload-status', async (_request, reply) => {
    const status = reloaderOf(deps).status();
    return sendJson(reply, 200, { status });
  });
}

/** The reload outcome a process recorded, or why there is none. */
async function answerOf(deps: GatewayDeps, id: string): Promise<{ status: unknown } | { status: null; error: string }> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  for (;;) {
    const run = await deps.ledger.getJobRun(id);
    if (run?.state === 'finished') return { status: (run.outcome as { reload?: unknown } | null)?.reload ?? null };
    if (Date.now() > deadline && run?.state === 'requested' && (await deps.ledger.withdrawJobRun(id))) {
      return { status: null, error: 'the process did not answer (it may be stopping, or started without a configuration file)' };
    }
    await new Promise((r) => setTimeout(r, FOLLOW_EVERY_MS));
  }
}
