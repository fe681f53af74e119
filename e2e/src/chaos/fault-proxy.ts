// A fault-injecting TCP proxy between the gateway and one backend (this machine has no
// `tc netem`): it forwards bytes both ways and, while told to, delays them (latency and
// jitter, in order), delays some chunks much longer (what a lost segment costs TCP: a
// retransmission), caps the bandwidth, resets connections (RST), drops everything
// (a partition: connections hang, new ones get nowhere), or — HTTP-aware — answers every
// new request itself with 500 / 503 / SlowDown, as a provider in trouble does.
//
// Settings apply at once to every connection, open ones included (the gateway's backend
// client keeps connections alive).
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Prng } from './prng.js';

export interface NetworkFault {
  /** added to every chunk each way */
  latencyMs?: number;
  /** 0..jitterMs more, at random (order is kept) */
  jitterMs?: number;
  /** share of chunks held back as if lost and retransmitted */
  loss?: number;
  /** share of chunks on which the connection is reset instead */
  resets?: number;
  /** bytes per second each way, per connection */
  bandwidth?: number;
  /**
   * reset a connection when the backend's answer starts to come back — to every request,
   * or to requests of one method: the request was carried out (bytes stored, upload
   * completed) but the gateway never learns it
   */
  loseAnswers?: boolean | 'PUT' | 'POST' | 'GET' | 'DELETE';
  /** drop everything */
  partition?: boolean;
  /** answer every request with this error instead of forwarding it */
  httpError?: 'InternalError' | 'ServiceUnavailable' | 'SlowDown';
}

/** What a lost segment costs: about one retransmission timeout. */
const RETRANSMIT_MS = 200;
/** Bytes queued in one direction before the sender is paused. */
const HIGH_WATER = 1024 * 1024;

const HTTP_ERRORS = {
  InternalError: { status: 500, reason: 'Internal Server Error', message: 'We encountered an internal error. Please try again.' },
  ServiceUnavailable: { status: 503, reason: 'Service Unavailable', message: 'Please reduce your request rate.' },
  SlowDown: { status: 503, reason: 'Slow Down', message: 'Please reduce your request rate.' },
} as const;

export interface ProxyStats {
  connections: number;
  resets: number;
  /** answers cut off by loseAnswers */
  lostAnswers: number;
  httpErrors: number;
  heldChunks: number;
}

export class FaultProxy {
  private fault: NetworkFault = {};
  private readonly sockets = new Set<Socket>();
  /** connections caught by a partition: reset when it heals (their peers gave up long ago) */
  private readonly held = new Set<Socket>();
  readonly stats: ProxyStats = { connections: 0, resets: 0, lostAnswers: 0, httpErrors: 0, heldChunks: 0 };
  url = '';

  private constructor(private readonly server: Server, private target: { host: string; port: number }, private readonly rng: Prng) {}

  static async start(target: string | null, rng: Prng): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, target ? hostPort(target) : { host: '127.0.0.1', port: 0 }, rng);
    server.on('connection', (socket) => proxy.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return proxy;
  }

  setTarget(endpoint: string): void {
    this.target = hostPort(endpoint);
  }

  /** The fault in force from now on; `{}` heals. */
  set(fault: NetworkFault): void {
    this.fault = fault;
    if (!fault.partition) {
      for (const s of this.held) s.resetAndDestroy();
      this.held.clear();
    }
  }

  current(): NetworkFault {
    return this.fault;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.stats.connections++;
    this.track(client);
    // A peer that gives up on a held or refused connection resets it: not an error of ours.
    client.on('error', () => client.destroy());
    if (this.fault.partition) {
      this.hold(client);
      return;
    }
    if (this.fault.httpError) {
      this.answerWithError(client, this.fault.httpError);
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.track(upstream);
    // An error cuts the other side too; an orderly end is passed on by pipe() once its queue drained.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.resetAndDestroy());
    const request = { method: '' };
    this.pipe(client, upstream, [client, upstream], request, false);
    this.pipe(upstream, client, [client, upstream], request, true);
  }

  /** Forwards `from` → `to` chunk by chunk, through the fault in force when each chunk arrives. */
  private pipe(from: Socket, to: Socket, pair: Socket[], request: { method: string }, answers: boolean): void {
    // Delayed chunks leave strictly in arrival order, from one queue drained by one timer
    // (timers of different delays may fire out of order: TCP never reorders a stream).
    const queue: Array<{ chunk: Buffer; releaseAt: number }> = [];
    let releaseAt = 0;
    let queued = 0;
    let timer: NodeJS.Timeout | null = null;
    let ended = false;
    const drain = () => {
      timer = null;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.releaseAt <= now) {
        const { chunk } = queue.shift()!;
        queued -= chunk.length;
        if (!to.destroyed && !this.held.has(to)) to.write(chunk);
      }
      if (queued <= HIGH_WATER && from.isPaused() && !this.held.has(from)) from.resume();
      if (queue.length > 0) timer = setTimeout(drain, queue[0]!.releaseAt - now);
      else if (ended) to.end();
    };
    from.on('data', (chunk: Buffer) => {
      const f = this.fault;
      if (f.partition) {
        this.stats.heldChunks++;
        pair.forEach((s) => this.hold(s));
        return;
      }
      if (!answers) {
        // The method of the request under way (keep-alive carries one after another).
        const line = /^([A-Z]+) \S+ HTTP\/1\.[01]\r\n/.exec(chunk.subarray(0, 2048).toString('latin1'));
        if (line) request.method = line[1]!;
      }
      if (answers && (f.loseAnswers === true || (f.loseAnswers && f.loseAnswers === request.method))) {
        this.stats.lostAnswers++;
        pair.forEach((s) => s.resetAndDestroy());
        return;
      }
      if (f.resets && this.rng.chance(f.resets)) {
        this.stats.resets++;
        pair.forEach((s) => s.resetAndDestroy());
        return;
      }
      let delay = (f.latencyMs ?? 0) + (f.jitterMs ? this.rng.next() * f.jitterMs : 0);
      if (f.loss && this.rng.chance(f.loss)) delay += RETRANSMIT_MS;
      const transfer = f.bandwidth ? (chunk.length / f.bandwidth) * 1000 : 0;
      if (delay === 0 && transfer === 0 && queue.length === 0) {
        to.write(chunk);
        return;
      }
      const now = performance.now();
      releaseAt = Math.max(releaseAt, now + delay) + transfer;
      queue.push({ chunk, releaseAt });
      queued += chunk.length;
      if (queued > HIGH_WATER) from.pause();
      if (timer === null) timer = setTimeout(drain, queue[0]!.releaseAt - now);
    });
    from.on('end', () => {
      // Half-close once the queued bytes have gone.
      ended = true;
      if (queue.length === 0) to.end();
    });
    from.on('close', () => {
      if (!ended) {
        if (timer) clearTimeout(timer);
        to.destroy();
      }
    });
  }

  /** A partition: the socket neither reads nor writes until the partition heals. */
  private hold(socket: Socket): void {
    if (this.held.has(socket)) return;
    this.held.add(socket);
    socket.pause();
  }

  /** Reads one request's head and answers it with an S3 error, then closes (HTTP-aware mode). */
  private answerWithError(client: Socket, code: keyof typeof HTTP_ERRORS): void {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      client.off('data', onData);
      client.resume(); // the body, if any, is read and thrown away
      const e = HTTP_ERRORS[code];
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${e.message}</Message><RequestId>chaos-proxy</RequestId></Error>`;
      this.stats.httpErrors++;
      client.end(`HTTP/1.1 ${e.status} ${e.reason}\r\ncontent-type: application/xml\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    };
    client.on('data', onData);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.held.delete(socket);
    });
  }
}

function hostPort(endpoint: string): { host: string; port: number } {
  const u = new URL(endpoint);
  return { host: u.hostname, port: Number(u.port) };
}
