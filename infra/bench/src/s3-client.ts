// The one client every scenario uses, direct and through the gateway alike, so the only
// difference between the two columns of the table is the gateway.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { S3Client, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-s3';
import type { DeserializeMiddleware } from '@smithy/types';

export type ChecksumMode =
  /** checksums only where an operation requires them: plain bodies (what the comparison uses) */
  | 'when-required'
  /** the SDK's default (CRC32 on uploads, aws-chunked with a trailer for streamed bodies) */
  | 'default';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface BenchClient {
  s3: S3Client;
  /** Closes the pooled connections. */
  close(): void;
}

/** More sockets than any scenario's concurrency, so no request waits for a socket. */
const MAX_SOCKETS = 64;

export function createBenchClient(endpoint: string, credentials: Credentials, checksums: ChecksumMode): BenchClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS });
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    ...(checksums === 'when-required'
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
    // A failed call is counted as an error, never retried into a slower success.
    maxAttempts: 1,
    requestHandler: { httpAgent: agent },
  });
  return {
    s3,
    close: () => {
      s3.destroy();
      agent.destroy();
    },
  };
}

/**
 * One client for several gateways (distributed mode): each `send` goes to the next endpoint in
 * turn, so the scenarios' concurrent operations spread evenly. Everything but `send` (the
 * middleware stack, config) is the first endpoint's client.
 */
export function createSpreadClient(endpoints: string[], credentials: Credentials, checksums: ChecksumMode): BenchClient {
  if (endpoints.length === 0) throw new RangeError('createSpreadClient needs at least one endpoint');
  const clients = endpoints.map((e) => createBenchClient(e, credentials, checksums));
  if (clients.length === 1) return clients[0]!;
  let next = 0;
  const send = ((command: never) => clients[next++ % clients.length]!.s3.send(command)) as unknown as S3Client['send'];
  const s3 = new Proxy(clients[0]!.s3, { get: (target, prop, receiver) => (prop === 'send' ? send : Reflect.get(target, prop, receiver)) });
  return { s3, close: () => clients.forEach((c) => c.close()) };
}

/** Makes each hook's middleware name unique, so several can be installed and removed. */
let hooks = 0;

/**
 * Records, for every call of `s3`, the time from sending the request to receiving the last
 * byte of the response — before the SDK parses it. For listings the SDK's XML parsing costs
 * the client as much as the gateway's work, so this is the gateway's (and the wire's) share.
 * The response body is read into memory here: only for small (XML) responses. Returns the
 * function that removes the hook.
 */
export function recordTimeToLastByte(s3: S3Client, record: (ms: number) => void): () => void {
  const name = `bench-time-to-last-byte-${++hooks}`;
  const middleware: DeserializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next) => async (args) => {
    const start = performance.now();
    const out = await next(args);
    const response = out.response as { body?: unknown };
    if (response.body instanceof Readable) {
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(chunk as Buffer);
      response.body = Readable.from([Buffer.concat(chunks)]);
    }
    record(performance.now() - start);
    return out;
  };
  // Inside the deserializer: it hands us the raw response first and parses what we return.
  s3.middlewareStack.addRelativeTo(middleware, { relation: 'after', toMiddleware: 'deserializerMiddleware', name });
  return () => {
    s3.middlewareStack.remove(name);
  };
}
