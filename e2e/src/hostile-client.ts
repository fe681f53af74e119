// Raw sockets for the adversarial suite: a client that sends exactly the bytes a test
// chooses — headers that never end, a body that trickles, a path with `..` that no HTTP
// library would leave alone — and reads the gateway's answer (or its closing the socket).
import { connect, type Socket } from 'node:net';
import { signRequest, type RawRequest } from './raw-request.js';

export interface HostileAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface HostileConnection {
  socket: Socket;
  write(data: string | Buffer): boolean;
  /** the first answer; null when the gateway closed the connection without one */
  answer: Promise<HostileAnswer | null>;
  /** resolves once the gateway closed (or reset) the connection */
  closed: Promise<void>;
}

export function openConnection(baseUrl: string): HostileConnection {
  const url = new URL(baseUrl);
  const socket = connect(Number(url.port), url.hostname);
  socket.on('error', () => {});
  let received = Buffer.alloc(0);
  let settle!: (a: HostileAnswer | null) => void;
  const answer = new Promise<HostileAnswer | null>((resolve) => (settle = resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const parse = (final: boolean) => {
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) {
      if (final) settle(null);
      return;
    }
    const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) headers[line.slice(0, line.indexOf(':')).trim().toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
    const length = Number(headers['content-length'] ?? NaN);
    const body = received.subarray(end + 4);
    if (!final && (!Number.isFinite(length) || body.length < length)) return;
    settle({ status: Number(statusLine!.split(' ')[1]), headers, body: body.subarray(0, Number.isFinite(length) ? length : undefined).toString('utf8') });
  };
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    parse(false);
  });
  socket.once('close', () => parse(true));
  return { socket, write: (data) => socket.write(data), answer, closed };
}

/**
 * The request head (request line and headers) of a SigV4-signed request, with the path
 * exactly as given (`..` segments and all). Content-Length is whatever `headers` says.
 */
export async function signedHead(baseUrl: string, req: RawRequest): Promise<string> {
  const signed = await signRequest(baseUrl, req);
  const url = new URL(baseUrl);
  const search = signed.url.includes('?') ? signed.url.slice(signed.url.indexOf('?')) : '';
  const headers = { host: url.host, ...signed.headers };
  return `${req.method} ${req.path}${search} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}

/** The `<Code>` of an S3 error body. */
export function errorCodeOf(answer: HostileAnswer | null): string | undefined {
  return answer ? /<Code>([^<]*)<\/Code>/.exec(answer.body)?.[1] : undefined;
}

/** Percentile `p` (0..100) of durations in ms. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
