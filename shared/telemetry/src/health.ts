// /health and /health/ready for processes that have no other HTTP server (every service
// but the gateway, which serves them on its S3 port), and the Prometheus endpoint beside
// them. /health is always 200 and says ok or degraded; /health/ready is 503 while starting
// and while shutting down, so a load balancer or orchestrator stops sending work before the
// process goes away. The same server type, without health state, is the gateway's separate
// metrics listener (`telemetry.metrics.listen`).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderMetrics } from './metrics.js';

export interface HealthState {
  ready(): boolean;
  /** 'degraded' when the process runs but something it depends on does not */
  status(): 'ok' | 'degraded';
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export interface HealthServerOptions {
  /** where Prometheus text is served; null = not at all (telemetry.metrics.enabled: false) */
  metricsPath?: string | null;
  /** when set, a scrape must send `Authorization: Bearer <token>` (telemetry.metrics.bearer_token) */
  bearerToken?: string | null;
}

/**
 * Whether a request carries `Authorization: Bearer <token>`; always true without a token.
 * Compared in constant time (over digests, so the length does not show either).
 */
export function bearerTokenMatches(authorization: string | undefined, token: string | null | undefined): boolean {
  if (!token) return true;
  const sent = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim() ?? '';
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(sent), digest(token)) && sent !== '';
}

export function startHealthServer(host: string, port: number, state: HealthState, options: HealthServerOptions = {}): Promise<HealthServer> {
  return listen(host, port, (path, req, res) => {
    if (path === '/health') sendJson(res, 200, { status: state.status() });
    else if (path === '/health/ready') sendJson(res, state.ready() ? 200 : 503, { ready: state.ready() });
    else if (options.metricsPath && path === options.metricsPath) void sendMetrics(req, res, options.bearerToken);
    else sendJson(res, 404, { error: 'not found' });
  });
}

/** A listener that serves only the metrics, at `path`. */
export function startMetricsServer(host: string, port: number, path: string, bearerToken: string | null = null): Promise<HealthServer> {
  return listen(host, port, (requestPath, req, res) => {
    if (requestPath === path) void sendMetrics(req, res, bearerToken);
    else sendJson(res, 404, { error: 'not found' });
  });
}

async function listen(host: string, port: number, route: (path: string, req: IncomingMessage, res: ServerResponse) => void): Promise<HealthServer> {
  const server: Server = createServer((req, res) => route((req.url ?? '/').split('?')[0]!, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

async function sendMetrics(req: IncomingMessage, res: ServerResponse, bearerToken: string | null | undefined): Promise<void> {
  if (!bearerTokenMatches(req.headers.authorization, bearerToken)) {
    res.setHeader('www-authenticate', 'Bearer');
    sendJson(res, 401, { error: 'a bearer token is required' });
    return;
  }
  try {
    const { contentType, body } = await renderMetrics();
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  } catch (err) {
    sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
  }
}
