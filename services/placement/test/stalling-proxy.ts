// A backend that stalls mid-body on cue, which a real s3rver cannot do at a chosen byte: an
// HTTP proxy in front of one s3rver that forwards everything, except that the body of a GET
// it is told to stall stops after `afterBytes` — the connection stays open and silent, so the
// reader runs into its backend timeout with part of the object already passed on — until
// release() lets the rest through. With afterBytes 0 not even the answer's headers pass.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class StallingProxy {
  /** GETs of storage keys ending like this stall; null = none. */
  private rule: { keySuffix: string; afterBytes: number } | null = null;
  private readonly waiting: Array<() => void> = [];
  /** GET bodies stalled so far. */
  stalled = 0;
  url = '';

  private constructor(private readonly server: Server, private readonly target: URL) {}

  static async start(targetEndpoint: string): Promise<StallingProxy> {
    const target = new URL(targetEndpoint);
    let proxy!: StallingProxy;
    const server = createServer((req, res) => proxy.forward(req, res));
    proxy = new StallingProxy(server, target);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** GETs of a storage key ending in `keySuffix` pass `afterBytes` body bytes, then go silent. */
  stallGets(keySuffix: string, afterBytes: number): void {
    this.rule = { keySuffix, afterBytes };
  }

  /** Stalled bodies go on to their end; later GETs are no longer stalled. */
  release(): void {
    this.rule = null;
    for (const resume of this.waiting.splice(0)) resume();
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://proxy').pathname);
    const rule = req.method === 'GET' && this.rule && path.endsWith(this.rule.keySuffix) ? this.rule : null;
    const upstream = httpRequest(
      { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: { ...req.headers, host: this.target.host } },
      (answer) => {
        res.on('close', () => answer.destroy());
        if (rule?.afterBytes === 0) {
          this.stalled++;
          this.waiting.push(() => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!rule) {
          answer.pipe(res);
          return;
        }
        let passed = 0;
        let open = false;
        answer.on('data', (chunk: Buffer) => {
          if (open || passed + chunk.length <= rule.afterBytes) {
            passed += chunk.length;
            res.write(chunk);
            return;
          }
          const room = rule.afterBytes - passed;
          res.write(chunk.subarray(0, room));
          passed = rule.afterBytes;
          const rest = chunk.subarray(room);
          answer.pause();
          this.stalled++;
          this.waiting.push(() => {
            open = true;
            res.write(rest);
            answer.resume();
          });
        });
        answer.on('end', () => res.end());
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
