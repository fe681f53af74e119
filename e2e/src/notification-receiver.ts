// A webhook receiver for notification tests: an HTTP server on loopback that records every
// request (path, headers, body, arrival time) and answers per path as the test says —
// 200, 500, or not at all until released (a delivery "in flight").
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverBehaviour = 'ok' | 'fail' | 'hold';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** epoch ms when the body had arrived */
  at: number;
  /** the status answered; 0 while held (or when released after the sender had gone) */
  status: number;
}

export class NotificationReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly behaviours = new Map<string, ReceiverBehaviour>();
  private held: Array<{ request: ReceivedRequest; response: ServerResponse }> = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<NotificationReceiver> {
    let receiver: NotificationReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => receiver!.answer(req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new NotificationReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  /** How requests to `path` are answered from now on (default ok). */
  set(path: string, behaviour: ReceiverBehaviour): void {
    this.behaviours.set(path, behaviour);
  }

  /** Answers the held requests of `path` with `status` (the sender may be gone). */
  release(path: string, status: number): void {
    const [mine, others] = partition(this.held, (h) => h.request.path === path);
    this.held = others;
    for (const { request, response } of mine) {
      request.status = status;
      response.statusCode = status;
      response.end();
    }
  }

  /** Requests to `path` answered with a 2xx: the deliveries. */
  delivered(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path && r.status >= 200 && r.status < 300);
  }

  failed(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path && r.status >= 300);
  }

  async stop(): Promise<void> {
    for (const path of new Set(this.held.map((h) => h.request.path))) this.release(path, 503);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(path: string, headers: IncomingHttpHeaders, body: string, response: ServerResponse): void {
    const request: ReceivedRequest = { path, headers, body, at: Date.now(), status: 0 };
    this.requests.push(request);
    const behaviour = this.behaviours.get(path) ?? 'ok';
    if (behaviour === 'hold') {
      this.held.push({ request, response });
      return;
    }
    request.status = behaviour === 'ok' ? 200 : 500;
    response.statusCode = request.status;
    response.end(behaviour === 'ok' ? '' : 'receiver down');
  }
}

function partition<T>(items: T[], pick: (item: T) => boolean): [T[], T[]] {
  return [items.filter(pick), items.filter((i) => !pick(i))];
}
