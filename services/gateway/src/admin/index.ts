// The admin API (`/admin/api/…` on the S3 port), a fastify plugin: JSON endpoints for
// operators, every request signed with SigV4 by a key whose user holds the control-plane
// permission it needs (auth.ts, permissions.ts).
//   GET  /admin/api/cleanup-queue, /admin/api/cleanup-dlq, POST /admin/api/cleanup-dlq/requeue and /discard
//   GET  /admin/api/verify[?max_keys=N&backend=NAME…]   ledger vs backends (verify.ts)
//   GET  /admin/api/lost-objects[?limit=N&after=KEY]   objects with no copy left (lost-objects.ts)
//   GET  /admin/api/notifications/dead, POST /admin/api/notifications/dead/requeue   (notifications.ts)
//   POST/GET/DELETE /admin/api/backends/{name}/drain, DELETE /admin/api/backends/{name}   (backends.ts)
//   GET  /admin/api/usage[?period=YYYY-MM|all]   monthly usage per backend with limits (usage.ts)
//   /admin/api/users…, /admin/api/credentials/…, /admin/api/buckets…   provisioning (identity.ts)
//   GET  /admin/api/status, /config, /workers   the system, the running config, every job's record (status.ts, config-view.ts, workers.ts)
//   GET  /admin/api/object-locations, /objects   where objects are, from the ledger (objects.ts)
//   GET  /admin/api/logs, GET/PUT /admin/api/log-level   this process's log (logs.ts)
//   POST /admin/api/jobs/{job}/run   one pass of a periodic job now, with NDJSON progress (jobs.ts)
//   POST /admin/api/reload[?all=true], GET /admin/api/reload-status   re-read the configuration (reload.ts)
//   GET  /admin/api/openapi.json   the OpenAPI document of all of them (openapi.ts)
// Every route is listed in the route table (route-table.ts); registering one that is not
// there, or leaving one out, fails the gateway's start.
// Registered with `prefix: '/admin/api'`; its hooks and error handler stay inside it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BodyGuards, GatewayDeps } from '../context.js';
import { AdminAuth } from './auth.js';
import { registerBackendRoutes } from './backends.js';
import { registerCleanupQueueRoutes } from './cleanup-queue.js';
import { registerLostObjectRoutes } from './lost-objects.js';
import { registerNotificationRoutes } from './notifications.js';
import { registerUsageRoutes } from './usage.js';
import { registerIdentityRoutes } from './identity.js';
import type { IdentityRefresher } from '@s3o/identity';
import { AdminError, intParam, sendAdminError, sendJson } from './respond.js';
import { verify } from './verify.js';
import { registerStatusRoutes } from './status.js';
import { registerConfigRoutes } from './config-view.js';
import { registerWorkerRoutes } from './workers.js';
import { registerObjectRoutes } from './objects.js';
import { registerLogRoutes } from './logs.js';
import { registerJobRoutes } from './jobs.js';
import { registerReloadRoutes } from './reload.js';
import { adminOpenApi } from './openapi.js';
import { ADMIN_ROUTES, routeKey } from './route-table.js';

const DEFAULT_MAX_KEYS = 100;
const MAX_MAX_KEYS = 100_000;

export interface AdminApiOptions {
  deps: GatewayDeps;
  guards: BodyGuards;
  /** the gateway's identity registry: who signed, and what they may do */
  identity: IdentityRefresher;
  /** Called once a request's signature is verified (for its audit line). */
  onAuthenticated?: (request: FastifyRequest, accessKeyId: string, user: string) => void;
}

export async function adminApi(app: FastifyInstance, { deps, guards, identity, onAuthenticated }: AdminApiOptions): Promise<void> {
  const auth = new AdminAuth(identity, guards, onAuthenticated);
  app.addHook('onRequest', auth.check);

  // Every route registered below, as `METHOD /path/:param`, to hold against the route table.
  const registered = new Set<string>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const path = route.url.replace(/^\/admin\/api/, '');
    if (path === '/*') return; // the catch-all 404 below
    for (const method of methods) registered.add(`${method} ${path}`);
  });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof AdminError) return sendAdminError(reply, err);
    deps.logger.error({ err, requestId: request.id }, 'admin request failed');
    return sendAdminError(reply, new AdminError(500, 'InternalError', 'The request failed; see the gateway log.'));
  });

  registerCleanupQueueRoutes(app, deps, auth);
  registerLostObjectRoutes(app, deps);
  registerNotificationRoutes(app, deps, auth);
  registerBackendRoutes(app, deps);
  registerUsageRoutes(app, deps);
  registerIdentityRoutes(app, deps, auth, identity);
  registerStatusRoutes(app, deps);
  registerConfigRoutes(app, deps);
  registerWorkerRoutes(app, deps);
  registerObjectRoutes(app, deps);
  registerLogRoutes(app, deps, auth);
  registerJobRoutes(app, deps);
  registerReloadRoutes(app, deps);
  const openApi = adminOpenApi();
  app.get('/openapi.json', async (_request, reply) => sendJson(reply, 200, openApi));

  app.get('/verify', async (request, reply) => {
    const url = request.raw.url ?? '';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const maxKeys = intParam(query, 'max_keys', DEFAULT_MAX_KEYS, 0, MAX_MAX_KEYS)!;
    const configured = new Set(deps.config.backends.map((b) => b.name));
    const only = query.getAll('backend');
    const unknown = only.filter((name) => !configured.has(name));
    if (unknown.length > 0) throw new AdminError(400, 'InvalidArgument', `no backend is named ${unknown.map((n) => JSON.stringify(n)).join(', ')}`);
    const report = await verify(deps, { maxKeys, backends: only.length > 0 ? only : undefined });
    deps.logger.info({ ok: report.ok, requestId: request.id }, 'verify done');
    return sendJson(reply, 200, report);
  });

  assertMatchesRouteTable(registered);

  app.all('/*', async (request, reply) =>
    sendAdminError(reply, new AdminError(404, 'NoSuchEndpoint', `${request.method} ${request.url.split('?')[0]} is not an admin endpoint`)));
}

/** Fails the start when the registered routes and the route table (hence the OpenAPI document) differ. */
export function assertMatchesRouteTable(registered: ReadonlySet<string>): void {
  const documented = new Set(ADMIN_ROUTES.map((r) => routeKey(r.method, r.path)));
  const undocumented = [...registered].filter((k) => !documented.has(k));
  const missing = [...documented].filter((k) => !registered.has(k));
  if (undocumented.length > 0 || missing.length > 0) {
    throw new Error(`the admin API and its route table differ: not in the table ${JSON.stringify(undocumented)}, not registered ${JSON.stringify(missing)}`);
  }
}
