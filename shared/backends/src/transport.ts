// One HTTP exchange with a backend over a keep-alive agent: send a signed request (streaming
// its body with an exact length), resolve at the response headers, and turn every way it can
// fail — body error, abort, silence, connection loss — into the request being destroyed
// before it completes, so a backend never stores a body that was not sent in full.
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { finished, type Readable } from 'node:stream';
import { BackendError, networkError, timeoutError } from './errors.js';

/** A body sent once, straight from its stream; exactly `length` bytes or the request fails. */
export interface StreamedBody {
  stream: Readable;
  length: number;
}

export interface OutgoingRequest {
  method: string;
  /** Encoded path with its query string. */
  path: string;
  headers: Record<string, string>;
  /** A Buffer can be resent on a fresh connection; a stream cannot. */
  body?: Buffer | StreamedBody;
  signal?: AbortSignal;
}

export interface Exchange {
  response: IncomingMessage;
  /** Response body bytes received from the socket so far, whether or not anyone read them yet. */
  bodyBytesReceived(): number;
  /**
   * Reads a small (XML) response body to the end. Fails with the exchange's own failure
   * (timeout, abort, body error) when there is one, otherwise as a network error.
   */
  readText(limit: number): Promise<string>;
  /**
   * Ends an exchange that is still running (request body still being sent, or response not
   * read to the end): destroys the request, its body stream and the response with `err`.
   */
  abandon(err: Error): void;
}

export interface TransportOptions {
  backend: string;
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  timeoutMs: number;
  maxSockets: number;
  /** Trusted CA certificates (PEM) for an https backend; absent = the system's. */
  ca?: Buffer;
}

/**
 * Idle pooled sockets are closed after this long. Servers close idle keep-alive connections
 * (S3 after ~20 s); closing ours first avoids sending on a socket the server is dropping.
 * Node shortens it further when a server announces `Keep-Alive: timeout=N`.
 */
const IDLE_SOCKET_TIMEOUT_MS = 15_000;
/** TCP keep-alive probe delay on pooled sockets. */
const KEEP_ALIVE_MSECS = 1_000;
/** A pooled socket the server closed meanwhile fails at once; a replayable request is resent this often. */
const STALE_SOCKET_RETRIES = 2;
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** Marks a failure on a reused socket before any answer: safe to resend a replayable request. */
class StaleSocketError extends Error {
  constructor(readonly failure: BackendError) {
    super(failure.message);
  }
}

export class Transport {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(private readonly options: TransportOptions) {
    const agentOptions: http.AgentOptions = {
      keepAlive: true,
      keepAliveMsecs: KEEP_ALIVE_MSECS,
      maxSockets: options.maxSockets,
      maxFreeSockets: options.maxSockets,
      timeout: IDLE_SOCKET_TIMEOUT_MS,
      // Reuse the most recently used socket: the least likely to have been closed by the server.
      scheduling: 'lifo',
    };
    if (options.protocol === 'https:') {
      // The provider's certificate is always verified (rejectUnauthorized is Node's default; stated so no one turns it off).
      this.agent = new https.Agent({ ...agentOptions, rejectUnauthorized: true, ...(options.ca ? { ca: options.ca } : {}) });
      this.request = https.request;
    } else {
      this.agent = new http.Agent(agentOptions);
      this.request = http.request;
    }
  }

  /** Sends the request; resolves with the response once its headers arrive (any status). */
  async send(request: OutgoingRequest, operation: string): Promise<Exchange> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.sendOnce(request, operation);
      } catch (err) {
        if (!(err instanceof StaleSocketError)) throw err;
        if (attempt >= STALE_SOCKET_RETRIES) throw err.failure;
      }
    }
  }

  /** Closes every pooled socket; requests still running fail. */
  close(): void {
    this.agent.destroy();
  }

  private sendOnce(request: OutgoingRequest, operation: string): Promise<Exchange> {
    const { body, signal } = request;
    const streamed = body !== undefined && !Buffer.isBuffer(body) ? body : undefined;
    return new Promise<Exchange>((resolve, reject) => {
      // The body is destroyed without an error here: the caller learns why from the
      // rejection, and a body without an 'error' listener must not crash the process.
      if (signal?.aborted) {
        streamed?.stream.destroy();
        reject(signal.reason);
        return;
      }
      let req: ClientRequest;
      try {
        const { hostname, port } = this.options;
        req = this.request({ agent: this.agent, hostname, port, method: request.method, path: request.path, headers: request.headers });
      } catch (err) {
        // Invalid header values are refused synchronously: an argument error, nothing was sent.
        reject(err);
        return;
      }
      new HttpExchange(req, streamed, signal, this.options, operation, resolve, reject).start(body);
    });
  }
}

/** The state of one request/response pair, and the single place it fails. */
class HttpExchange implements Exchange {
  response!: IncomingMessage;
  private failure: Error | undefined;
  private uploaded: boolean;
  /** whether the body stream has started flowing into the request */
  private pumping = false;
  private readonly onAbort = () => this.fail(this.signal!.reason as Error);

  constructor(
    private readonly req: ClientRequest,
    private readonly streamed: StreamedBody | undefined,
    private readonly signal: AbortSignal | undefined,
    private readonly options: TransportOptions,
    private readonly operation: string,
    private readonly resolve: (exchange: Exchange) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.uploaded = streamed === undefined;
  }

  start(body: Buffer | StreamedBody | undefined): void {
    const { req, signal, streamed } = this;
    const { backend, timeoutMs } = this.options;
    signal?.addEventListener('abort', this.onAbort, { once: true });
    req.setTimeout(timeoutMs, () => this.fail(timeoutError(backend, this.operation, timeoutMs)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const mapped = networkError(backend, this.operation, err);
      const stale = !this.response && req.reusedSocket && streamed === undefined && RESET_CODES.has(err.code ?? '');
      this.fail(stale ? new StaleSocketError(mapped) : mapped);
    });
    req.once('response', (res) => {
      this.response = res;
      this.countBody(res);
      res.once('close', () => signal?.removeEventListener('abort', this.onAbort));
      this.resolve(this);
    });
    if (streamed) {
      // The body is not touched until the connection stands: a backend that refuses the
      // connection leaves the body unread, so the caller can send it to another backend.
      req.once('socket', (socket) => {
        const pump = () => {
          if (this.failure) return;
          this.pumping = true;
          pumpBody(streamed, req, (err) => this.fail(err), () => (this.uploaded = true));
        };
        if (socket.connecting) socket.once('connect', pump);
        else pump();
      });
    } else {
      req.end(body);
    }
  }

  private received = 0;

  bodyBytesReceived(): number {
    return this.received;
  }

  /**
   * Counts body bytes as the HTTP parser hands them to push(), from the moment the
   * response exists. A 'data' listener would switch the stream to flowing mode before
   * its consumer is attached.
   */
  private countBody(res: IncomingMessage): void {
    const push = res.push;
    res.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (chunk !== null && chunk !== undefined) this.received += (chunk as Buffer).length;
      return push.call(res, chunk, encoding);
    };
  }

  async readText(limit: number): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of this.response as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) {
          const err = new BackendError({
            backend: this.options.backend,
            operation: this.operation,
            status: this.response.statusCode ?? 0,
            code: 'InvalidResponse',
            message: `response body exceeds ${limit} bytes`,
            retriable: false,
          });
          this.fail(err);
          throw err;
        }
        chunks.push(chunk);
      }
    } catch (err) {
      throw this.failure ?? networkError(this.options.backend, this.operation, err as Error);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  abandon(err: Error): void {
    if (!this.uploaded || !this.response.complete) this.fail(err);
  }

  /**
   * The first failure wins. Destroying the request before it completes is what keeps a
   * partial body from being stored. A response that has fully arrived is left readable:
   * an early error answer followed by a broken upload must still report the answer.
   */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.signal?.removeEventListener('abort', this.onAbort);
    if (!this.response) this.reject(err);
    this.req.destroy(err);
    if (this.response && !this.response.complete) this.response.destroy(err);
    if (this.streamed && this.pumping && !this.uploaded) this.streamed.stream.destroy(err);
  }
}

/**
 * Writes the body stream into the request with backpressure, counting bytes: a body longer
 * or shorter than its declared length fails the request instead of being sent.
 */
function pumpBody(body: StreamedBody, req: ClientRequest, fail: (err: Error) => void, onSent: () => void): void {
  const { stream, length } = body;
  let sent = 0;
  const onData = (chunk: Buffer | string) => {
    sent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (sent > length) {
      fail(new Error(`request body is longer than its declared length of ${length} bytes`));
      return;
    }
    if (!req.write(chunk)) stream.pause();
  };
  const onDrain = () => stream.resume();
  stream.on('data', onData);
  req.on('drain', onDrain);
  // finished() keeps its 'error' listener after calling back, so destroying the body with an
  // error later never becomes an uncaught 'error' event.
  finished(stream, { writable: false }, (err) => {
    stream.off('data', onData);
    req.off('drain', onDrain);
    if (req.destroyed) return;
    if (err) return fail(err);
    if (sent !== length) return fail(new Error(`request body ended after ${sent} of ${length} bytes`));
    onSent();
    req.end();
  });
}
