// The web dashboard (`ui.*`, docs/architecture.md §7), a fastify plugin registered at
// ui.path on the S3 port of every gateway:
//   GET  {path}/login, POST {path}/login, POST {path}/logout   the session (session.ts)
//   GET  {path}/, /objects, /operations                       the pages (pages.ts)
//   GET  {path}/static/app.<hash>.css|js                      the two static files (assets.ts)
//   POST {path}/api/presign                                   presigned S3 URLs for object actions (presign.ts)
// Data comes from the admin API: the pages read it in-process with the session cookie
// (app.inject), the script calls it from the browser; the admin API lets a session in
// through session-gate.ts. Every answer carries the security headers below.
import { randomBytes } from 'node:crypto';
import type { IdentityRefresher } from '@s3o/identity';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayDeps } from '../context.js';
import { clientIp } from '../traffic/client-ip.js';
import { cidrBlockList } from '@s3o/config';
import { STYLESHEET, SCRIPT, type Asset } from './assets.js';
import { RequestSeries } from './charts.js';
import { loginPage, objectsPage, operationsPage, overviewPage, type PageContext } from './pages.js';
import { presign, type PresignRequest } from './presign.js';
import { CSRF_HEADER, sessionOf } from './session-gate.js';
import {
  checkCsrf, LoginRegistry, LoginThrottle, identityLogin, parseCookies, PRELOGIN_COOKIE, SESSION_COOKIE, SESSION_TTL_MS, SessionSigner, type Session,
} from './session.js';
import { TRIGGERS } from '../admin/route-table.js';

/** Form and presign bodies are a few fields. */
const MAX_FORM_BYTES = 64 * 1024;
const MAX_PRESIGN_KEYS = 1000;

const SECURITY_HEADERS = {
  // No inline script or style at all: the pages load one script and one stylesheet of ours.
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export interface DashboardOptions {
  deps: GatewayDeps;
  signer: SessionSigner;
  registry: LoginRegistry;
  series: RequestSeries;
  /** the gateway listens with TLS: cookies are Secure */
  tls: boolean;
}

export function dashboardSigner(deps: GatewayDeps, identity: IdentityRefresher): { signer: SessionSigner; registry: LoginRegistry } | null {
  const ui = deps.config.ui;
  if (!ui.enabled || ui.sessionSecret === null) return null;
  const registry = new LoginRegistry(identityLogin(identity));
  return { signer: new SessionSigner(ui.sessionSecret, registry), registry };
}

function readForm(request: FastifyRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.raw.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        request.raw.destroy();
        reject(new Error('form too large'));
        return;
      }
      chunks.push(c);
    });
    request.raw.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.raw.on('error', reject);
  });
}

export async function dashboard(app: FastifyInstance, { deps, signer, registry, series, tls }: DashboardOptions): Promise<void> {
  const base = deps.config.ui.path;
  const secure = tls || deps.config.ui.forceSecureCookies;
  const throttle = new LoginThrottle();
  const trusted = deps.config.rateLimit.trustedProxies.length > 0 ? cidrBlockList(deps.config.rateLimit.trustedProxies) : null;
  const ipOf = (request: FastifyRequest) => clientIp(request.raw.socket.remoteAddress, request.headers['x-forwarded-for'], trusted);
  const assets = new Map<string, Asset>([STYLESHEET, SCRIPT].map((a) => [a.name, a]));

  const cookie = (name: string, value: string, maxAgeSeconds: number) =>
    `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  const sendHtml = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);
  const toLogin = (reply: FastifyReply) => reply.code(303).header('location', `${base}/login`).send();

  /** The page's session, or an answer sending the browser to log in. */
  const page = (render: (ctx: PageContext, request: FastifyRequest) => Promise<string> | string) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const session = sessionOf(signer, request);
      if (!session || !session.principal.grants.has('admin-read')) return toLogin(reply);
      return sendHtml(reply, 200, await render({ base, session, assets: { js: SCRIPT.name, css: STYLESHEET.name } }, request));
    };

  /** An admin API document read in-process, as the session's principal. */
  const adminGet = async (request: FastifyRequest, path: string): Promise<any> => {
    const answer = await app.inject({ method: 'GET', url: `/admin/api/${path}`, headers: { cookie: request.headers.cookie ?? '' } });
    if (answer.statusCode !== 200) throw new Error(`GET /admin/api/${path} answered ${answer.statusCode}: ${answer.body.slice(0, 200)}`);
    return answer.json();
  };

  const overview = page(async (ctx, request) => {
    const [status, daily] = await Promise.all([adminGet(request, 'status'), adminGet(request, 'usage/daily')]);
    return overviewPage(ctx, status, series.lastHour(), daily);
  });
  app.get('/', overview); // also answers {path} without the slash (fastify's prefixTrailingSlash)
  app.get('/objects', page((ctx) => objectsPage(ctx, deps.config.buckets.map((b) => b.name))));
  app.get('/operations', page((ctx) => operationsPage(ctx, deps.config.backends.map((b) => b.name), Object.keys(TRIGGERS))));

  app.get('/static/:name', async (request, reply) => {
    const found = assets.get((request.params as { name: string }).name);
    if (!found) return reply.code(404).type('text/plain').send('not found');
    return reply.code(200).type(found.type).header('cache-control', 'public, max-age=31536000, immutable').send(found.body);
  });

  const loginForm = (reply: FastifyReply, status: number, problem: string | null) => {
    const nonce = randomBytes(18).toString('base64url');
    reply.header('set-cookie', cookie(PRELOGIN_COOKIE, nonce, 3600));
    return sendHtml(reply, status, loginPage(base, STYLESHEET.name, signer.loginCsrf(nonce), problem));
  };

  app.get('/login', async (request, reply) => {
    if (sessionOf(signer, request)) return reply.code(303).header('location', `${base}/`).send();
    return loginForm(reply, 200, null);
  });

  app.post('/login', async (request, reply) => {
    const ip = ipOf(request);
    const wait = throttle.retryAfter(ip);
    if (wait > 0) {
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return loginForm(reply, 429, `Too many failed logins from your address; try again in ${Math.ceil(wait / 60_000)} min.`);
    }
    const form = new URLSearchParams(await readForm(request));
    if (!signer.checkLoginCsrf(parseCookies(request.headers.cookie).get(PRELOGIN_COOKIE), form.get('csrf') ?? undefined)) {
      return loginForm(reply, 403, 'The form expired; please log in again.');
    }
    const accessKeyId = form.get('access_key_id') ?? '';
    const secret = form.get('secret_access_key') ?? '';
    const principal = registry.login(accessKeyId, secret);
    if (!principal || !principal.grants.has('admin-read')) {
      throttle.failed(ip);
      deps.logger.warn({ ip, accessKeyId: accessKeyId.slice(0, 128) }, 'dashboard login refused');
      return loginForm(reply, 401, 'Wrong access key id or secret, or this credential may not use the dashboard.');
    }
    throttle.succeeded(ip);
    deps.logger.info({ ip, accessKeyId }, 'dashboard login');
    reply.header('set-cookie', [cookie(SESSION_COOKIE, signer.issue(principal, secret), SESSION_TTL_MS / 1000), cookie(PRELOGIN_COOKIE, '', 0)]);
    return reply.code(303).header('location', `${base}/`).send();
  });

  app.post('/logout', async (request, reply) => {
    const session = sessionOf(signer, request);
    const form = new URLSearchParams(await readForm(request));
    if (session && !checkCsrf(session, form.get('csrf') ?? undefined)) return reply.code(403).type('text/plain').send('Missing or wrong CSRF token.');
    reply.header('set-cookie', cookie(SESSION_COOKIE, '', 0));
    return toLogin(reply);
  });

  app.post('/api/presign', async (request, reply) => {
    const session = requireWriteSession(request, reply);
    if (!session) return reply;
    let body: { method?: unknown; bucket?: unknown; keys?: unknown; download?: unknown; tagging?: unknown };
    try {
      body = JSON.parse(await readForm(request)) as typeof body;
    } catch {
      return reply.code(400).send({ error: { code: 'InvalidArgument', message: 'expected a JSON body' } });
    }
    const method = body.method;
    const isMethod = (m: unknown): m is PresignRequest['method'] => m === 'GET' || m === 'PUT' || m === 'DELETE' || m === 'HEAD';
    const bucket = deps.config.buckets.find((b) => b.name === body.bucket);
    const keys = body.keys;
    if (!isMethod(method) || !bucket || !Array.isArray(keys) || keys.length === 0 || keys.length > MAX_PRESIGN_KEYS || !keys.every((k) => typeof k === 'string' && k !== '')) {
      return reply.code(400).send({ error: { code: 'InvalidArgument', message: `expected { method: GET|PUT|DELETE|HEAD, bucket: a configured bucket, keys: 1–${MAX_PRESIGN_KEYS} keys }` } });
    }
    // Reading an object needs admin-read only; changing one needs admin-write.
    if (method !== 'GET' && method !== 'HEAD' && !session.principal.grants.has('admin-write')) {
      return reply.code(403).send({ error: { code: 'AccessDenied', message: 'Your grants allow reading only.' } });
    }
    const host = request.headers.host ?? '';
    const urls = (keys as string[]).map((key) => presign(bucket.credentials[0]!, {
      method, bucket: bucket.name, key, host,
      query: method !== 'GET' ? undefined
        : body.tagging === true ? { tagging: '' }
        : body.download === true ? { 'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(key.split('/').pop() ?? key)}` }
        : undefined,
    }));
    deps.logger.info({ accessKeyId: session.principal.accessKeyId, method, bucket: bucket.name, keys: keys.length }, 'dashboard presigned');
    return reply.code(200).send({ urls });
  });

  /** A session whose CSRF header is right, or null with the 403 already answered. */
  function requireWriteSession(request: FastifyRequest, reply: FastifyReply): Session | null {
    const session = sessionOf(signer, request);
    const token = request.headers[CSRF_HEADER];
    if (!session || !checkCsrf(session, typeof token === 'string' ? token : undefined)) {
      void reply.code(403).send({ error: { code: 'InvalidCsrfToken', message: 'A dashboard session and its CSRF token are required.' } });
      return null;
    }
    return session;
  }
}

/** Counts every answer of the gateway into the overview's request series. */
export function recordRequests(app: FastifyInstance, series: RequestSeries): void {
  app.addHook('onResponse', async (_request, reply) => series.record(reply.statusCode));
}

export { RequestSeries };
