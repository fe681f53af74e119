// Hand-made S3 requests, for what the SDK will not send on purpose: a signature from 20
// minutes ago, headers the SDK has no parameter for (If-Range), a body that stops halfway.
// Signed with the same SigV4 signer the SDK uses, fed a node:crypto SHA-256.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import type { Credential } from './config-text.js';

export interface RawRequest {
  method: string;
  /** Path as sent on the wire, already URI-encoded: `/bucket/some%20key`. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Absent: the request goes out unsigned. */
  credentials?: Credential;
  /** The signature's x-amz-date; default now. */
  signingDate?: Date;
  /**
   * The x-amz-content-sha256 value; default the body's SHA-256. `UNSIGNED-PAYLOAD` for a body
   * sent in pieces, `STREAMING-UNSIGNED-PAYLOAD-TRAILER` for a hand-made aws-chunked body.
   */
  payloadHash?: string;
}

export interface SignedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

class NodeSha256 implements Checksum {
  private hash!: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.reset();
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SigV4-signs a request for the gateway at `baseUrl` (or leaves it unsigned without credentials). */
export async function signRequest(baseUrl: string, req: RawRequest): Promise<SignedRequest> {
  const base = new URL(baseUrl);
  const query = req.query ?? {};
  const search = new URLSearchParams(query).toString().replace(/\+/g, '%20');
  const url = `${base.origin}${req.path}${search ? `?${search}` : ''}`;
  const headers: Record<string, string> = { ...req.headers };
  if (!req.credentials) return { url, method: req.method, headers };

  const payloadHash = req.payloadHash ?? createHash('sha256').update(req.body ?? '').digest('hex');
  const signer = new SignatureV4({
    credentials: req.credentials,
    region: 'us-east-1',
    service: 's3',
    sha256: NodeSha256,
    // S3 signs the path as sent, without a second round of escaping.
    uriEscapePath: false,
  });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: base.protocol,
      hostname: base.hostname,
      port: Number(base.port),
      path: req.path,
      query,
      headers: { ...headers, host: base.host, 'x-amz-content-sha256': payloadHash },
    },
    req.signingDate ? { signingDate: req.signingDate } : {},
  );
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    // fetch derives Host from the URL; it is the same value that was signed.
    if (name.toLowerCase() !== 'host') out[name] = value;
  }
  return { url, method: req.method, headers: out };
}

/** Signs (when credentials are given) and sends a request; returns status, headers and text body. */
export async function rawFetch(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const signed = await signRequest(baseUrl, req);
  return sendSigned(signed, req.body);
}

export async function sendSigned(signed: SignedRequest, body?: Buffer | string): Promise<RawResponse> {
  const res = await fetch(signed.url, {
    method: signed.method,
    headers: signed.headers,
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

export interface EarlyAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  /** Bytes of the body that had been written when the answer arrived. */
  bytesSent: number;
}

/**
 * Sends the headers of a request and only the first chunk of its body, then waits for an
 * answer without ever finishing the body. Resolves with the answer when the server replies
 * early (from the headers alone); rejects when there is none within `timeoutMs`.
 */
export function answerBeforeBodyEnds(signed: SignedRequest, firstChunk: Buffer, timeoutMs = 10_000): Promise<EarlyAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(signed.url, { method: signed.method, headers: signed.headers });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms while the body was still incomplete`));
    }, timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        // The body stays unfinished on purpose; the connection goes with it.
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), bytesSent: firstChunk.length });
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.write(firstChunk);
  });
}

export interface S3ErrorBody {
  code: string | undefined;
  message: string | undefined;
  requestId: string | undefined;
}

/** The fields of an S3 `<Error>` document that the tests look at. */
export function parseErrorXml(body: string): S3ErrorBody {
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
  return { code: field('Code'), message: field('Message'), requestId: field('RequestId') };
}

/** Encodes an object key for a path the way S3 clients do: every byte but unreserved ones and `/`. */
export function encodeKeyPath(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}
