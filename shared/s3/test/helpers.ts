// Shared test tooling: AWS's own signer wired to Node crypto, a loopback HTTP server
// that records raw requests, and an aws-chunked encoder written from the AWS spec.
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { S3Client } from '@aws-sdk/client-s3';
import { createChecksum, type ChecksumAlgorithm } from '../src/checksum.js';
import { chunkStringToSign, sha256Hex, trailerStringToSign } from '../src/sigv4-core.js';

export const AK = 'AKIDEXAMPLETEST';
export const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const lookup = (id: string): string | undefined => (id === AK ? SECRET : undefined);

/** The Hash shape @smithy/signature-v4 expects, backed by node:crypto. */
export class NodeSha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
}

function toBuffer(d: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

/** AWS's signer configured as the S3 client configures it (single-encoded path). */
export function awsSigner(region = 'us-east-1', secret = SECRET, accessKeyId = AK): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region,
    credentials: { accessKeyId, secretAccessKey: secret },
    sha256: NodeSha256,
    uriEscapePath: false,
  });
}

/** Encodes a key as the S3 client puts it in the path: each segment, '/' kept. */
export function encodeKeyPath(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()))
    .join('/');
}

export interface RecordedRequest {
  method: string;
  url: string;
  rawPath: string;
  rawQuery: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function splitUrl(url: string): { rawPath: string; rawQuery: string | undefined } {
  const q = url.indexOf('?');
  return q === -1 ? { rawPath: url, rawQuery: undefined } : { rawPath: url.slice(0, q), rawQuery: url.slice(q + 1) };
}

export interface TestServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A loopback server on an ephemeral port. */
export async function startServer(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A server that records every request (with its raw body) and answers `respond`. */
export async function startRecorder(
  respond: (req: RecordedRequest, res: http.ServerResponse) => void = (_r, res) => {
    res.setHeader('ETag', '"0"');
    res.end();
  },
): Promise<TestServer & { requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const server = await startServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method!, url: req.url!, ...splitUrl(req.url!), headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      respond(recorded, res);
    });
  });
  return { ...server, requests };
}

export function s3ClientFor(endpoint: string, extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: AK, secretAccessKey: SECRET },
    maxAttempts: 1,
    ...extra,
  });
}

// ---- aws-chunked encoder, written from the AWS documentation ----

export interface ChunkSigner {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  seedSignature: string;
}

export interface EncodeOptions {
  /** Sign every chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]). */
  signer?: ChunkSigner;
  /** Append a trailer with this checksum (of `checksumOf` if given, else of the data). */
  trailerChecksum?: ChecksumAlgorithm;
  /** Put a different value in the trailer (to test mismatches). */
  trailerValue?: string;
  /** Signed mode only: sign the trailer too. */
  signTrailer?: boolean;
}

export interface EncodedBody {
  body: Buffer;
  /** Byte offset in `body` where each chunk's data starts. */
  dataOffsets: number[];
  signatures: string[];
}

/** Frames `chunks` (each becomes one aws-chunked chunk) as the SDKs do. */
export function encodeAwsChunked(chunks: Buffer[], opts: EncodeOptions = {}): EncodedBody {
  const parts: Buffer[] = [];
  const dataOffsets: number[] = [];
  const signatures: string[] = [];
  let offset = 0;
  let prev = opts.signer?.seedSignature ?? '';
  const add = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const sign = (data: Buffer) => {
    const s = opts.signer!;
    prev = createHmac('sha256', s.signingKey).update(chunkStringToSign(s.amzDate, s.scope, prev, sha256Hex(data))).digest('hex');
    signatures.push(prev);
    return `;chunk-signature=${prev}`;
  };
  const checksum = opts.trailerChecksum ? createChecksum(opts.trailerChecksum) : undefined;
  for (const data of [...chunks, Buffer.alloc(0)]) {
    checksum?.update(data);
    add(Buffer.from(`${data.length.toString(16)}${opts.signer ? sign(data) : ''}\r\n`, 'latin1'));
    if (data.length === 0) break;
    dataOffsets.push(offset);
    add(data);
    add(Buffer.from('\r\n'));
  }
  if (opts.trailerChecksum) {
    const line = `x-amz-checksum-${opts.trailerChecksum}:${opts.trailerValue ?? checksum!.digestBase64()}`;
    add(Buffer.from(`${line}\r\n`, 'latin1'));
    if (opts.signTrailer) {
      const s = opts.signer!;
      const sig = createHmac('sha256', s.signingKey)
        .update(trailerStringToSign(s.amzDate, s.scope, prev, sha256Hex(`${line}\n`)))
        .digest('hex');
      signatures.push(sig);
      add(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`, 'latin1'));
    }
  }
  add(Buffer.from('\r\n'));
  return { body: Buffer.concat(parts), dataOffsets, signatures };
}

/**
 * Feeds `body` into `stream` in pieces of `pieceSize`, letting output flow between
 * writes, and collects what came out before the stream ended or failed.
 */
export async function runThrough(
  stream: NodeJS.ReadWriteStream & { destroyed: boolean },
  body: Buffer,
  pieceSize = 65536,
): Promise<{ output: Buffer; error: unknown }> {
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise<unknown>((resolve) => {
    stream.on('end', () => resolve(undefined));
    stream.on('error', (e) => resolve(e));
  });
  for (let i = 0; i < body.length && !stream.destroyed; i += pieceSize) {
    stream.write(body.subarray(i, i + pieceSize));
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!stream.destroyed) stream.end();
  const error = await ended;
  return { output: Buffer.concat(out), error };
}
