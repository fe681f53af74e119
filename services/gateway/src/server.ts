// The gateway's HTTP server: one catch-all route that authenticates, classifies the
// request through the routing table and hands it to the action's module.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { S3Error, verifySigV4 } from '@s3o/s3';
import type { Config } from '@s3o/config';
import { header, type GatewayDeps, type RequestContext } from './context.js';
import { refuseWhileDegraded } from './degraded/action-rules.js';
import { DatabaseUnavailableError } from './degraded/database-breaker.js';
import { createDegradedMode } from './degraded/degraded-mode.js';
import { isVirtualHosted, parseAddress, sentUrl } from './http/address.js';
import { createListener } from './http/listener.js';
import { classify } from './http/classify.js';
import { answerPreflight, setCorsHeaders } from './http/cors.js';
import { newRequestId } from './http/request-id.js';
import { hideUnparseableContentType, restoreContentType } from './http/raw-content-type.js';
import { registerObservability } from './http/observability.js';
import { sendError, toS3Error } from './http/respond.js';
import { IdentityRefresher, plainSealer } from '@s3o/identity';
import { authorizeAction } from './authorize.js';
import { actions } from './actions/index.js';
import { adminApi } from './admin/index.js';
import { dashboard, dashboardSigner, recordRequests, RequestSeries } from './ui/index.js';
import { adminSessionCheck } from './ui/session-gate.js';
import { installTrafficShaping } from './traffic/index.js';
import { createRequestGuards } from './traffic/request-guards.js';

const MAX_KEY_BYTES = 1024;

export interface Gateway {
  app: FastifyInstance;
  /** false until listening, and again once shutdown begins */
  ready: boolean;
  /** Reads server.tls's files again for new connections (SIGHUP); open connections keep theirs. */
  reloadTls(): void;
  /**
   * A reloaded configuration (docs/architecture.md §7 "Reloading"): the buckets, their
   * credentials and auth.root from the next request on, the rate limits, and every setting
   * the gateway reads per request. Settings read once at start (listener, backends) stay.
   */
  applyConfig(next: Config): void;
}

/**
 * Virtual-hosted requests are routed under this prefix, so no path of theirs can reach the
 * gateway's own routes (/admin, /health, /metrics): those names are object keys there.
 * The handler reads the URL as sent (sentUrl), never the rewritten one.
 */
const VIRTUAL_HOSTED_ROUTE = '/.virtual-hosted';

export function createGatewayApp(deps: GatewayDeps): Gateway {
  const listener = createListener(deps.config.server);
  const suffix = deps.config.server.virtualHostSuffix;
  const app = Fastify({
    serverFactory: listener.factory,
    ...(listener.tls ? { https: {} } : {}),
    rewriteUrl: (req) => (isVirtualHosted(req.headers.host, suffix) ? VIRTUAL_HOSTED_ROUTE + (req.url ?? '/') : req.url ?? '/'),
    logger: false,
    exposeHeadRoutes: false,
    routerOptions: { ignoreDuplicateSlashes: false, ignoreTrailingSlash: false, maxParamLength: 8192 },
    // S3 request ids are ours; bodies are streamed by the actions, never parsed by fastify.
    genReqId: newRequestId,
    return503OnClosing: true,
  });
  const gateway: Gateway = {
    app,
    ready: false,
    reloadTls: listener.reloadTls,
    applyConfig: (next) => {
      void identity.reconfigure(next);
      traffic.reconfigure(next.rateLimit);
      deps.config = next;
    },
  };
  // Spans, request metrics and audit lines of every request — registered first, so requests refused by
  // rate limiting or admission are counted and audited too; Prometheus text at the metrics
  // path unless it is off or served on a listener of its own (telemetry.metrics.listen).
  const metrics = deps.config.telemetry.metrics;
  const observe = registerObservability(app, {
    logger: deps.logger,
    metricsPath: metrics.enabled && metrics.listen === null ? metrics.path : null,
    metricsBearerToken: metrics.bearerToken,
  });

  // Rate limiting and admission control: the first hook after observability, before auth and before any body byte.
  const traffic = installTrafficShaping(app, deps);
  // Every action reaches the ledger through the database breaker (degraded/).
  const degraded = createDegradedMode(deps);
  const actionDeps: GatewayDeps = { ...deps, ledger: degraded.ledger };
  app.addHook('onClose', async () => degraded.stop());
  if (!deps.config.auth.root) deps.logger.warn('auth.root is not set: only stored users with control-plane grants can use the admin API (/admin/api/...)');
  // Who holds which key and may do what, in memory (docs/architecture.md §6 "Authorisation"):
  // loaded before the listener opens, rebuilt on identity.changed, on reconnect and on a timer.
  const identity = new IdentityRefresher({
    config: deps.config, identity: degraded.ledger.identity, sealer: deps.sealer ?? plainSealer, logger: deps.logger,
  });
  let stopIdentityChanges: (() => void) | undefined;
  app.addHook('onReady', async () => {
    stopIdentityChanges = deps.identityChanges?.(() => void identity.refresh());
    await identity.start();
  });
  app.addHook('onClose', async () => {
    stopIdentityChanges?.();
    await identity.stop();
  });
  const guards = createRequestGuards(deps.config);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  hideUnparseableContentType(app);

  app.get('/health', async (_req, reply) => {
    const healthy = degraded.breaker.isClosed && (deps.busConnected?.() ?? true);
    reply.header('cache-control', 'no-store').send({ status: healthy ? 'ok' : 'degraded' });
  });
  app.get('/health/ready', async (_req, reply) => {
    reply.code(gateway.ready ? 200 : 503).header('cache-control', 'no-store').send({ ready: gateway.ready });
  });

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const req = request.raw;
    restoreContentType(req);
    const requestId = request.id;
    reply.header('x-amz-request-id', requestId).header('x-amz-id-2', requestId).header('server', 's3-orchestrator');
    const addr = parseAddress(sentUrl(req), req.headers.host, suffix);
    const resource = addr.rawPath;
    const isHead = req.method === 'HEAD';
    observe.note(request, { action: null, bucket: addr.bucket, key: addr.key, accessKeyId: null, user: null, authenticated: false });
    try {
      const registry = identity.registry;
      // CORS (http/cors.ts): a preflight is answered before authentication; any other answer
      // carries the headers of the rule that allows its origin, errors included.
      if (req.method === 'OPTIONS') {
        if (addr.bucket !== null && !registry.bucketExists(addr.bucket)) throw new S3Error('NoSuchBucket', { extra: { BucketName: addr.bucket } });
        answerPreflight(reply, deps.config, addr.bucket, req.headers);
        return;
      }
      setCorsHeaders(reply, deps.config, addr.bucket, header(req, 'origin'), req.method ?? 'GET');
      const auth = verifySigV4(
        { method: req.method ?? 'GET', rawPath: addr.rawPath, rawQuery: addr.rawQuery, headers: req.headers },
        registry.secretOf,
        new Date(),
      );
      // A presigned URL carries request headers (x-amz-meta-*, x-amz-checksum-*, …) as signed
      // query parameters; S3 applies them as headers, so every action sees them as such.
      for (const [name, value] of Object.entries(auth.queryHeaders)) req.headers[name] ??= value;
      const principal = { user: registry.holder(auth.accessKeyId)!.user, accessKeyId: auth.accessKeyId };
      identity.noteUse(auth.accessKeyId);
      observe.note(request, { action: null, bucket: addr.bucket, key: addr.key, accessKeyId: auth.accessKeyId, user: principal.user, authenticated: true });
      const cls = classify(req.method ?? 'GET', addr, req.headers);
      if (cls.action === null) {
        // An unknown or hidden bucket answers as such before "not implemented" could tell it apart.
        if (addr.bucket !== null) {
          if (!registry.bucketExists(addr.bucket)) throw new S3Error('NoSuchBucket', { extra: { BucketName: addr.bucket } });
          if (!registry.seesBucket(principal.user, addr.bucket)) throw new S3Error('AccessDenied');
        }
        throw new S3Error('NotImplemented', { message: `A header or query you provided implies functionality that is not implemented (${cls.reason}).` });
      }
      authorizeAction(registry, principal.user, cls.action, addr.bucket);
      observe.note(request, { action: cls.action, bucket: addr.bucket, key: addr.key, accessKeyId: auth.accessKeyId, user: principal.user, authenticated: true });
      if (addr.key !== null && Buffer.byteLength(addr.key, 'utf8') > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
      // NUL cannot be stored by Postgres nor written in XML 1.0 listings.
      if (addr.key?.includes('\u0000')) throw new S3Error('InvalidArgument', { message: 'Object keys cannot contain the NUL character.' });
      const ctx: RequestContext = {
        deps: actionDeps, requestId, action: cls.action, req, reply, addr, auth, principal, identity,
        bucket: addr.bucket, key: addr.key, sourceIp: req.socket.remoteAddress ?? null, degraded: degraded.reader, guards: guards.body,
      };
      refuseWhileDegraded(cls.action, degraded.breaker);
      if (req.method !== 'GET' && req.method !== 'HEAD') guards.countWrite(req, reply, auth.accessKeyId);
      await actions[cls.action](ctx);
    } catch (err) {
      // An unreachable database is an outage the client should retry, not an internal error.
      const s3err = err instanceof DatabaseUnavailableError
        ? new S3Error('ServiceUnavailable', { message: 'The database is unreachable; please retry.' })
        : toS3Error(err);
      if (s3err.code === 'InternalError') deps.logger.error({ err, requestId }, 'request failed');
      // An unread request body must not be read just to be thrown away: close instead.
      if (!req.complete) reply.header('connection', 'close');
      sendError(reply, s3err, requestId, resource, isHead);
    }
  };

  // The dashboard (ui.*): its pages, and its sessions let into the admin API.
  const ui = dashboardSigner(deps, identity);
  app.register(adminApi, {
    prefix: '/admin/api',
    deps,
    guards: guards.body,
    identity,
    onAuthenticated: (request, accessKeyId, user) => observe.note(request, { action: null, bucket: null, key: null, accessKeyId, user, authenticated: true }),
    ...(ui ? { session: adminSessionCheck(ui.signer) } : {}),
  });
  if (ui) {
    const series = new RequestSeries();
    recordRequests(app, series);
    app.register(dashboard, { prefix: deps.config.ui.path, deps, signer: ui.signer, registry: ui.registry, series, tls: listener.tls });
  }
  app.route({ method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS'], url: '/*', handler: handle });
  app.route({ method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS'], url: '/', handler: handle });
  app.setNotFoundHandler(handle);
  app.setErrorHandler((err, request, reply) => {
    deps.logger.error({ err, requestId: request.id }, 'unhandled gateway error');
    sendError(reply, new S3Error('InternalError'), request.id, sentUrl(request.raw).split('?')[0] ?? '/', request.method === 'HEAD');
  });
  return gateway;
}

