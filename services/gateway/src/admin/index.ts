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

  app.all('/*', async (request, reply) =>
    sendAdminError(reply, new AdminError(404, 'NoSuchEndpoint', `${request.method} ${request.url.split('?')[0]} is not an admin endpoint`)));
}
