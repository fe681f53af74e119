// Turns a request into the verified bytes of the object: aws-chunked framing decoded
// (every chunk signature checked), then MD5 / checksum / length verified with the tail
// held back (BodyVerifier). Everything the headers tell is checked before a byte of the
// body is read.
import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import {
  BodyVerifier, S3Error, checksumAlgorithmOfHeader, createAwsChunkedDecoder, invalidChecksumValueError, isValidChecksumValue, parseContentMd5,
  readXmlStream, type AwsChunkedDecoder, type BodyExpectations, type ChecksumAlgorithm, type VerifiedRequest, type XmlLimits, type XmlNode,
} from '@s3o/s3';
import { header, type BodyGuards } from '../context.js';
import { watchBody } from './body-watchdog.js';

export interface ClientBody {
  /** decoded length of the object's bytes */
  length: number;
  /** the verified bytes (tail held back until verification passes); `.md5` once ended */
  stream: BodyVerifier;
  /** base64 Content-MD5 the client sent, forwarded to the backend as a second check */
  contentMd5: string | null;
  /** The algorithm of the x-amz-checksum-* the client sent (header or trailer), known before the body. */
  checksumAlgorithm: ChecksumAlgorithm | null;
  /** That checksum's value, verified against the bytes: read it once the stream has ended. */
  checksum(): { algorithm: ChecksumAlgorithm; value: string } | null;
  /**
   * The gateway's own CRC64NVME of a body the client sent no checksum for (only when asked
   * for with `defaultChecksum`): read it once the stream has ended; null when the client sent one.
   */
  defaultChecksum(): string | null;
}

/** The algorithm the gateway computes for an object or part sent without a checksum, as AWS does since 2025. */
export const DEFAULT_CHECKSUM_ALGORITHM = 'crc64nvme' as const;

function isChunked(req: IncomingMessage, auth: VerifiedRequest): boolean {
  const mode = auth.payload.mode;
  if (mode === 'streaming-signed' || mode === 'streaming-unsigned-trailer') return true;
  return (header(req, 'content-encoding') ?? '').split(',').some((e) => e.trim().toLowerCase() === 'aws-chunked');
}

/** Length of the object's bytes as the headers declare it; 411 / 400 before any body is read. */
export function declaredLength(req: IncomingMessage, auth: VerifiedRequest, maxSize: number): number {
  const raw = isChunked(req, auth) ? header(req, 'x-amz-decoded-content-length') : header(req, 'content-length');
  if (raw === undefined) throw new S3Error('MissingContentLength');
  if (!/^\d{1,16}$/.test(raw)) throw new S3Error('InvalidArgument', { message: `Invalid content length: ${raw}` });
  const length = Number(raw);
  if (length > maxSize) {
    throw new S3Error('EntityTooLarge', { extra: { ProposedSize: String(length), MaxSizeAllowed: String(maxSize) } });
  }
  return length;
}

/** An `x-amz-checksum-<alg>` header, verified over the bytes (a malformed value is refused up front). */
function headerChecksum(req: IncomingMessage): BodyExpectations['checksum'] {
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith('x-amz-checksum-') || typeof value !== 'string') continue;
    const algorithm = checksumAlgorithmOfHeader(name);
    if (!algorithm) continue;
    if (!isValidChecksumValue(algorithm, value)) throw invalidChecksumValueError(algorithm);
    return { algorithm, value };
  }
  return undefined;
}

/**
 * The request is piped, not put in a pipeline: a failed check must not destroy the
 * request's socket before the error answer has been written. A body that stalls is cut
 * with RequestTimeout (body-watchdog.ts); signed chunks are held on the memory budget.
 */
export function openClientBody(req: IncomingMessage, auth: VerifiedRequest, maxSize: number, guards: BodyGuards,
  options: { defaultChecksum?: boolean } = {}): ClientBody {
  const length = declaredLength(req, auth, maxSize);
  const md5 = parseContentMd5(header(req, 'content-md5'));
  const chunked = isChunked(req, auth);
  const expect: BodyExpectations = { length };
  if (md5) expect.contentMd5 = md5;
  if (auth.payload.mode === 'sha256') expect.sha256Hex = auth.payload.hash;
  // In aws-chunked bodies the checksum usually travels in the trailer and the decoder checks
  // it; one sent as a header (no trailer) is checked over the decoded bytes like a plain body's.
  const decoder = chunked ? chunkedDecoder(req, auth, guards) : null;
  const trailerAlgorithm = decoder?.trailerAlgorithm ?? null;
  const checksum = trailerAlgorithm ? undefined : headerChecksum(req);
  if (checksum) expect.checksum = checksum;
  // Object bytes (PUT, parts) without a checksum get the default one, computed on the way.
  if (options.defaultChecksum && !trailerAlgorithm && !checksum) expect.compute = DEFAULT_CHECKSUM_ALGORITHM;
  const verifier = new BodyVerifier(expect);
  // A bad body can fail before anyone reads the stream (a small body arrives whole while
  // space is claimed). The error stays on the stream (`errored`) and reaches whoever
  // reads it next; without a listener it would be an uncaught 'error' event.
  verifier.on('error', () => {});

  let first: Transform = verifier;
  if (decoder) {
    decoder.on('error', (err) => verifier.destroy(err));
    decoder.pipe(verifier);
    first = decoder;
  }
  req.on('aborted', () => first.destroy(new S3Error('IncompleteBody', { message: 'The client closed the connection mid-body.' })));
  req.on('error', (err) => first.destroy(err));
  req.pipe(first);
  watchBody(req, guards.time, (err) => first.destroy(err));
  return {
    length, stream: verifier, contentMd5: md5 ? md5.toString('base64') : null,
    checksumAlgorithm: trailerAlgorithm ?? checksum?.algorithm ?? null,
    checksum: () => (trailerAlgorithm ? decoder!.checksumResult ?? null : checksum ?? null),
    defaultChecksum: () => verifier.computed ?? null,
  };
}

function chunkedDecoder(req: IncomingMessage, auth: VerifiedRequest, guards: BodyGuards): AwsChunkedDecoder {
  const payload = auth.payload;
  if (payload.mode !== 'streaming-signed' && payload.mode !== 'streaming-unsigned-trailer') {
    throw new S3Error('InvalidRequest', { message: 'aws-chunked bodies need a STREAMING-* x-amz-content-sha256.' });
  }
  return createAwsChunkedDecoder(payload, req.headers, undefined, (bytes) => guards.memory.take(bytes));
}

/** Reads a small body completely (bounded by the caller's limit). */
export async function readWhole(body: ClientBody): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body.stream as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks, body.length);
}

/**
 * Reads an XML body as it arrives (bounded, a piece at a time: readXmlStream), holding its
 * declared length on the memory budget while it is read and used.
 */
export async function withXmlBody<T>(body: ClientBody, guards: BodyGuards, limits: XmlLimits, use: (document: XmlNode) => T | Promise<T>): Promise<T> {
  const give = guards.memory.take(body.length);
  try {
    return await use(await readXmlStream(body.stream as Readable, limits));
  } finally {
    give();
  }
}
