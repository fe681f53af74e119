// /health and /health/ready for processes that have no other HTTP server (every service
// but the gateway, which serves them on its S3 port). /health is always 200 and says ok
// or degraded; /health/ready is 503 while starting and while shutting down, so a load
// balancer or orchestrator stops sending work before the process goes away.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthState {
  ready(): boolean;
  /** 'degraded' when the process runs but something it depends on does not */
  status(): 'ok' | 'degraded';
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(host: string, port: number, state: HealthState): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      res.end(text);
    };
    if (path === '/health') send(200, { status: state.status() });
    else if (path === '/health/ready') send(state.ready() ? 200 : 503, { ready: state.ready() });
    else send(404, { error: 'not found' });
  });
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
