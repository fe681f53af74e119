// Traffic shaping in front of every S3 request: per-client rate limiting and admission
// control, run in an onRequest hook — before authentication and before a byte of the body
// is read — so refusing a request costs almost nothing. Refusals are 503 SlowDown (what
// AWS answers and every SDK backs off on) with Retry-After and the usual XML error body.
//
// Exempt: /admin/…, /health…, /metrics and /ui/… (or the dashboard's ui.path) — the
// operator's view of an overloaded gateway (and a load balancer's health check) must keep
// working exactly when traffic is
// being refused, and these routes are cheap, low-volume and (admin) authenticated. Only on
// the gateway's own host: a virtual-hosted request (`photos.<suffix>/admin/…`) is routed
// under a prefix of its own before this hook runs (server.ts), so it is an object request here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { S3Error } from '@s3o/s3';
import { cidrBlockList, type RateLimitConfig } from '@s3o/config';
import { counter } from '@s3o/telemetry';
import type { GatewayDeps } from '../context.js';
import { sendError } from '../http/respond.js';
import { RequestAdmission, requestClass } from './request-admission.js';
import { clientIp } from './client-ip.js';
import { DEFAULT_MAX_CLIENTS, RateLimiter } from './rate-limit.js';

const OPERATOR_ROUTES = /^\/(admin(\/|$)|health(\/|$|\?)|metrics($|\?|\/))/;

/** `uiPath`: where the dashboard is served (`/ui` stays reserved when it is elsewhere or off). */
export function isOperatorRoute(url: string, uiPath = '/ui'): boolean {
  if (OPERATOR_ROUTES.test(url)) return true;
  return [uiPath, '/ui'].some((path) => url.startsWith(path) && ['', '/', '?'].includes(url.charAt(path.length)));
}

export interface TrafficShaping {
  /** the rate limiter, while rate_limit.enabled (its size is watched by tests) */
  readonly limiter: RateLimiter | null;
  /**
   * A reloaded rate_limit section, from the next request on: limits changed in place (each
   * client keeps its bucket), the limiter made or dropped when `enabled` changes, the
   * trusted proxies replaced. Requests already admitted are not touched.
   */
  reconfigure(next: RateLimitConfig): void;
}

function limiterSettings(limit: RateLimitConfig) {
  return {
    requestsPerSec: limit.requestsPerSec,
    burst: limit.burst,
    maxIdleMs: limit.cleanupMaxAgeMs,
    cleanupIntervalMs: limit.cleanupIntervalMs,
    maxClients: DEFAULT_MAX_CLIENTS,
  };
}

export function installTrafficShaping(app: FastifyInstance, deps: GatewayDeps): TrafficShaping {
  const { rateLimit, server } = deps.config;
  const rateLimited = counter({ name: 's3o_rate_limit_rejections_total', help: 'Requests refused by per-IP rate limiting' });
  const admissionRefused = counter({
    name: 's3o_admission_rejections_total',
    help: 'Requests refused by admission control, by class (read/write) and reason (shed: load shedding; full: no slot within admission_wait)',
    labelNames: ['class', 'reason'],
  });

  // Swapped whole by reconfigure(): a request reads both once, so it sees the old or the new settings.
  let limiter = rateLimit.enabled ? new RateLimiter(limiterSettings(rateLimit)) : null;
  let trusted = trustedOf(rateLimit);
  const admission = deps.admission
    ? new RequestAdmission(deps.admission, { loadShedThreshold: server.loadShedThreshold, admissionWaitMs: server.admissionWaitMs })
    : null;
  app.addHook('onClose', async () => limiter?.stop());
  const shaping: TrafficShaping = {
    get limiter() {
      return limiter;
    },
    reconfigure: (next) => {
      trusted = trustedOf(next);
      if (!next.enabled) {
        limiter?.stop();
        limiter = null;
      } else if (limiter) limiter.reconfigure(limiterSettings(next));
      else limiter = new RateLimiter(limiterSettings(next));
    },
  };

  const refuse = (request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number, message: string): FastifyReply => {
    reply.header('x-amz-request-id', request.id).header('x-amz-id-2', request.id).header('server', 's3-orchestrator');
    reply.header('retry-after', String(retryAfterSeconds));
    // The body was not read: close rather than read it just to throw it away.
    reply.header('connection', 'close');
    const url = request.raw.url ?? '/';
    sendError(reply, new S3Error('SlowDown', { message }), request.id, url.split('?')[0] ?? '/', request.raw.method === 'HEAD');
    return reply;
  };

  const admits = admission !== null && !admission.unlimited;
  // Installed even with nothing to do, so a reload can turn rate limiting on.
  app.addHook('onRequest', async (request, reply) => {
    const limits = limiter;
    if (!limits && !admits) return undefined;
    const url = request.raw.url ?? '/';
    if (isOperatorRoute(url, deps.config.ui.enabled ? deps.config.ui.path : '/ui')) return undefined;
    if (limits) {
      const ip = clientIp(request.raw.socket.remoteAddress, request.raw.headers['x-forwarded-for'], trusted);
      const decision = limits.take(ip);
      if (!decision.allowed) {
        rateLimited.inc();
        return refuse(request, reply, decision.retryAfterSeconds, 'Please reduce your request rate.');
      }
    }
    if (admission && admits) {
      const kind = requestClass(request.raw.method);
      const gone = new AbortController();
      const onClose = () => gone.abort();
      request.raw.socket.once('close', onClose);
      const decision = await admission.admit(kind, gone.signal);
      request.raw.socket.off('close', onClose);
      if (!decision.admitted) {
        admissionRefused.inc({ class: kind, reason: decision.reason });
        return refuse(request, reply, 1, 'The gateway is at capacity; please retry.');
      }
      // 'close' fires however the response ends: sent, failed or abandoned by the client.
      reply.raw.once('close', decision.release);
    }
    return undefined;
  });
  return shaping;
}

function trustedOf(limit: RateLimitConfig) {
  return limit.trustedProxies.length > 0 ? cidrBlockList(limit.trustedProxies) : null;
}
