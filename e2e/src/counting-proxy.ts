// An independent observer of what reaches a backend: an HTTP proxy in front of one s3rver
// that counts every request it forwards, the request body bytes it forwards (the backend's
// ingress) and the response body bytes it relays back (egress). Tests compare the
// orchestrator's own usage accounting with these counts.
//
// The proxy listens before it knows its target (a system's config names the proxy, and the
// s3rver behind it starts with the system): requests wait until `setTarget`.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyCounts {
  requests: number;
  /** request body bytes forwarded to the backend */
  ingress: number;
  /** response body bytes relayed from the backend */
  egress: number;
  /** requests by `METHOD` plus the first query parameter name, e.g. `PUT ?partNumber` */
  byKind: Record<string, number>;
}

export class CountingProxy {
  private readonly server: Server;
  private target: URL | null = null;
  private readonly targetSet: Promise<void>;
  private resolveTarget!: () => void;
  private totals: ProxyCounts = { requests: 0, ingress: 0, egress: 0, byKind: {} };
  /** performance.now() at each request's arrival, in order: the n-th request arrived at [n - 1] */
  private readonly arrivalTimes: number[] = [];
  /** requests forwarded and not yet answered in full */
  private inFlight = 0;
  url = '';

  private constructor() {
    this.targetSet = new Promise((resolve) => (this.resolveTarget = resolve));
    this.server = createServer((req, res) => {
      void this.targetSet.then(() => {
        const target = this.target!;
        this.inFlight++;
        this.totals.requests++;
        this.arrivalTimes.push(performance.now());
        const url = new URL(req.url ?? '/', 'http://proxy');
        const kind = `${req.method} ${[...url.searchParams.keys()][0] ? `?${[...url.searchParams.keys()][0]}` : ''}`.trim();
        this.totals.byKind[kind] = (this.totals.byKind[kind] ?? 0) + 1;
        let done = false;
        const finish = () => {
          if (!done) {
            done = true;
            this.inFlight--;
          }
        };
        const upstream = httpRequest(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.on('data', (chunk: Buffer) => {
              this.totals.egress += chunk.length;
            });
            answer.pipe(res);
            answer.on('end', finish);
            answer.on('error', finish);
          },
        );
        upstream.on('error', () => {
          finish();
          res.destroy();
        });
        req.on('data', (chunk: Buffer) => {
          this.totals.ingress += chunk.length;
        });
        req.pipe(upstream);
        res.on('close', finish);
      });
    });
  }

  static async start(): Promise<CountingProxy> {
    const proxy = new CountingProxy();
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  setTarget(endpoint: string): void {
    this.target = new URL(endpoint);
    this.resolveTarget();
  }

  counts(): ProxyCounts {
    return { ...this.totals, byKind: { ...this.totals.byKind } };
  }

  /** performance.now() at the arrival of every request so far, in order of arrival */
  arrivals(): readonly number[] {
    return [...this.arrivalTimes];
  }

  /** true while some request is still being forwarded or answered */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
