// Publishing one message to a subject on a NATS server that is not necessarily the bus's
// (notification endpoints of type nats). When a JetStream stream holds the subject, the
// publish goes through JetStream and counts once the stream acked it — with a message id, so
// the stream drops a re-sent copy within its duplicate window; otherwise it is a core publish
// followed by a flush (the server has it; core NATS keeps nothing for subscribers that are
// not connected). Which streams hold a subject is asked again after STREAM_LOOKUP_TTL_MS, so
// a stream created later is used. One connection per server URL, shared by every caller.
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';

const STREAM_LOOKUP_TTL_MS = 30_000;

export interface SubjectMessage {
  /** one server URL or a comma-separated list */
  url: string;
  subject: string;
  body: string;
  headers: Record<string, string>;
  /** the JetStream message id (Nats-Msg-Id) when a stream holds the subject */
  msgId: string;
  /** bounds the connect, the stream lookup and the ack / flush */
  timeoutMs: number;
}

interface Server {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** subject → whether a stream holds it, and until when that answer is used */
  streams: Map<string, { inStream: boolean; until: number }>;
}

export class NatsSubjectPublisher {
  private readonly servers = new Map<string, Promise<Server>>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Resolves with how the message went once the server (or stream) has it; throws when it does not. */
  async publish(message: SubjectMessage): Promise<'jetstream' | 'core'> {
    const server = await this.server(message.url, message.timeoutMs);
    const h = headers();
    for (const [name, value] of Object.entries(message.headers)) h.set(name, value);
    if (await this.inStream(server, message.subject, message.timeoutMs)) {
      await server.js.publish(message.subject, message.body, { msgID: message.msgId, headers: h, timeout: message.timeoutMs });
      return 'jetstream';
    }
    server.nc.publish(message.subject, message.body, { headers: h });
    await withTimeout(server.nc.flush(), message.timeoutMs, `NATS flush to ${message.subject}`);
    return 'core';
  }

  async close(): Promise<void> {
    const servers = [...this.servers.values()];
    this.servers.clear();
    await Promise.allSettled(servers.map(async (s) => (await s).nc.close()));
  }

  private server(url: string, timeoutMs: number): Promise<Server> {
    let server = this.servers.get(url);
    if (!server) {
      server = (async () => {
        const nc = await connect({ servers: url.split(',').map((s) => s.trim()), timeout: timeoutMs, maxReconnectAttempts: -1 });
        return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc, { checkAPI: false }), streams: new Map() };
      })();
      this.servers.set(url, server);
      // A failed connect is tried again at the next publish; a closed connection too.
      const forget = () => {
        if (this.servers.get(url) === server) this.servers.delete(url);
      };
      server.then((s) => void s.nc.closed().then(forget), forget);
    }
    return server;
  }

  private async inStream(server: Server, subject: string, timeoutMs: number): Promise<boolean> {
    const now = this.clock();
    const known = server.streams.get(subject);
    if (known && known.until > now) return known.inStream;
    // No stream, or no JetStream on the server: a core publish (which a stream holding the
    // subject would store anyway).
    const inStream = await withTimeout(server.jsm.streams.find(subject), timeoutMs, 'stream lookup').then(() => true, () => false);
    server.streams.set(subject, { inStream, until: now + STREAM_LOOKUP_TTL_MS });
    return inStream;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
