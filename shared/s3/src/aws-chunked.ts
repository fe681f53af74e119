// Decoding `aws-chunked` request bodies (SigV4 streaming uploads) on the fly:
//
//   hex-size[;chunk-signature=SIG]\r\n <data> \r\n   … repeated …
//   0[;chunk-signature=SIG]\r\n
//   [name:value\r\n … ][x-amz-trailer-signature:SIG\r\n]   (trailer, when declared)
//   \r\n
//
// "A bad body never lands": a signed chunk is buffered and its signature checked
// before any of its bytes go downstream, and the last piece of decoded data is always
// held back until everything after it (final chunk signature, trailer signature,
// trailer checksum, decoded length) has been verified. A consumer that writes to a
// backend with Content-Length therefore never completes a body that fails later.
import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import {
  checksumAlgorithmOfHeader,
  checksumHeaderName,
  checksumMismatchError,
  createChecksum,
  isValidChecksumValue,
  type Checksum,
  type ChecksumAlgorithm,
} from './checksum.js';
import { s3Error } from './errors.js';
import { EMPTY_SHA256, chunkStringToSign, sha256Hex, signatureHex, trailerStringToSign } from './sigv4-core.js';
import { signaturesEqual, type PayloadAuth } from './sigv4-verify.js';

/** Chunk sizes are client-chosen and a signed chunk is held whole: this caps that memory. */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
/**
 * AWS refuses signed chunks below 8 KiB except the last (InvalidChunkSizeError): each chunk
 * costs a signature check, so tiny chunks would multiply the work per byte.
 */
export const MIN_SIGNED_CHUNK_SIZE = 8192;
// Chunk headers are ~90 bytes and trailer lines shorter; anything longer is garbage.
const MAX_LINE_BYTES = 4096;
const MAX_TRAILER_LINES = 16;
const CHUNK_SIGNATURE_PREFIX = 'chunk-signature=';
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

export interface ChunkSigning {
  seedSignature: string;
  signingKey: Buffer;
  amzDate: string;
  scope: string;
}

export interface AwsChunkedOptions {
  /** `x-amz-decoded-content-length`: the decoded body must be exactly this long. */
  decodedLength: number;
  /** Present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: every chunk must be signed. */
  signing?: ChunkSigning;
  /** Whether a trailer follows the final chunk, and whether it carries its own signature. */
  trailer: 'none' | 'unsigned' | 'signed';
  /** The checksum `x-amz-trailer` announced; verified against the trailer value. */
  trailerChecksum?: ChecksumAlgorithm;
  maxChunkSize?: number;
  /**
   * Takes `bytes` of the process's memory budget while a signed chunk is held whole (its
   * release is called once the chunk is verified or the body fails); throws when they are
   * not to be had. Absent: no budget.
   */
  reserve?: (bytes: number) => () => void;
}

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done';

function malformed(message: string) {
  return s3Error('InvalidRequest', { message: `Malformed aws-chunked body: ${message}` });
}

export class AwsChunkedDecoder extends Transform {
  private readonly opts: AwsChunkedOptions;
  private readonly maxChunkSize: number;
  private readonly checksum: Checksum | undefined;
  private state: State = 'size';
  private pendingLine: Buffer | null = null;
  private decoded = 0;
  private chunkRemaining = 0;
  // Signed mode: the chunk being received, verified when complete.
  private chunkSignature = '';
  private chunkHash: Hash | null = null;
  private chunkPieces: Buffer[] = [];
  private releaseChunkMemory: (() => void) | null = null;
  /** size of the last data chunk (signed mode: only the last may be below MIN_SIGNED_CHUNK_SIZE) */
  private lastChunkSize: number | null = null;
  private previousSignature: string;
  /** Verified data not yet passed on: released only when more verified data follows, or at the end. */
  private held: Buffer | null = null;
  private readonly trailers: Array<[string, string]> = [];
  private trailerSignature: string | undefined;
  private verifiedChecksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;

  constructor(opts: AwsChunkedOptions) {
    super();
    this.opts = opts;
    this.maxChunkSize = opts.maxChunkSize ?? MAX_CHUNK_SIZE;
    this.checksum = opts.trailerChecksum ? createChecksum(opts.trailerChecksum) : undefined;
    this.previousSignature = opts.signing?.seedSignature ?? '';
  }

  /** The checksum algorithm `x-amz-trailer` announced, if any (known before the body). */
  get trailerAlgorithm(): ChecksumAlgorithm | undefined {
    return this.opts.trailerChecksum;
  }

  /** The trailer checksum, once verified (for echoing it back as AWS does). */
  get checksumResult(): { algorithm: ChecksumAlgorithm; value: string } | undefined {
    return this.verifiedChecksum;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.freeChunk();
    callback(err);
  }

  private freeChunk(): void {
    this.releaseChunkMemory?.();
    this.releaseChunkMemory = null;
    this.chunkPieces = [];
  }

  override _flush(callback: TransformCallback): void {
    try {
      // Tolerate a client that ends the body right after its trailer lines, without
      // the closing empty line: everything that is verified has arrived.
      if (this.state === 'trailer' && this.pendingLine === null) this.finish();
      if (this.state !== 'done') {
        throw s3Error('IncompleteBody', { message: 'The aws-chunked body ended before its final chunk.' });
      }
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback();
  }

  private consume(buf: Buffer): void {
    let pos = 0;
    while (pos < buf.length) {
      if (this.state === 'data') {
        const take = Math.min(this.chunkRemaining, buf.length - pos);
        this.onData(buf.subarray(pos, pos + take));
        pos += take;
        continue;
      }
      if (this.state === 'done') throw malformed('data after the end of the body');
      const line = this.takeLine(buf, pos);
      if (line === null) return;
      pos = line.next;
      if (this.state === 'size') this.onSizeLine(line.text);
      else if (this.state === 'data-crlf') {
        if (line.text !== '') throw malformed('chunk data longer than its declared size');
        this.state = 'size';
      } else this.onTrailerLine(line.text);
    }
  }

  /** The next CRLF-terminated line, or null when it continues in a later buffer. */
  private takeLine(buf: Buffer, pos: number): { text: string; next: number } | null {
    const nl = buf.indexOf(0x0a, pos);
    if (nl === -1) {
      // Copy: a partial line is small and must not pin the whole input buffer.
      const rest = Buffer.from(buf.subarray(pos));
      this.pendingLine = this.pendingLine ? Buffer.concat([this.pendingLine, rest]) : rest;
      if (this.pendingLine.length > MAX_LINE_BYTES) throw malformed('header line too long');
      return null;
    }
    let line = buf.subarray(pos, nl);
    if (this.pendingLine) {
      line = Buffer.concat([this.pendingLine, line]);
      this.pendingLine = null;
    }
    if (line.length > MAX_LINE_BYTES) throw malformed('header line too long');
    if (line.length === 0 || line[line.length - 1] !== 0x0d) throw malformed('line not terminated by CRLF');
    return { text: line.toString('latin1', 0, line.length - 1), next: nl + 1 };
  }

  private onSizeLine(line: string): void {
    const semi = line.indexOf(';');
    const sizeText = semi === -1 ? line : line.slice(0, semi);
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) {
      throw s3Error('InvalidChunkSizeError', { message: `Invalid chunk size "${sizeText.slice(0, 16)}".` });
    }
    const size = parseInt(sizeText, 16);
    if (size > this.maxChunkSize) {
      throw s3Error('InvalidChunkSizeError', { message: `Chunk size ${size} exceeds the maximum of ${this.maxChunkSize} bytes.` });
    }
    if (this.decoded + size > this.opts.decodedLength) {
      throw s3Error('IncompleteBody', { message: 'The chunks are longer than x-amz-decoded-content-length.' });
    }
    if (this.opts.signing && size > 0) {
      if (this.lastChunkSize !== null && this.lastChunkSize < MIN_SIGNED_CHUNK_SIZE) throw s3Error('InvalidChunkSizeError');
      this.lastChunkSize = size;
    }
    if (this.opts.signing) {
      const ext = semi === -1 ? '' : line.slice(semi + 1);
      if (!ext.startsWith(CHUNK_SIGNATURE_PREFIX)) {
        throw s3Error('SignatureDoesNotMatch', { message: 'A chunk of a signed aws-chunked body has no chunk-signature.' });
      }
      this.chunkSignature = ext.slice(CHUNK_SIGNATURE_PREFIX.length);
    }
    if (size === 0) {
      this.onFinalChunk();
      return;
    }
    this.chunkRemaining = size;
    if (this.opts.signing) {
      this.chunkHash = createHash('sha256');
      if (this.opts.reserve) this.releaseChunkMemory = this.opts.reserve(size);
    }
    this.state = 'data';
  }

  private onData(piece: Buffer): void {
    this.chunkRemaining -= piece.length;
    this.decoded += piece.length;
    this.checksum?.update(piece);
    if (this.chunkHash) {
      this.chunkHash.update(piece);
      this.chunkPieces.push(piece);
      if (this.chunkRemaining === 0) {
        this.verifyChunk(this.chunkHash.digest('hex'));
        this.chunkHash = null;
        for (const p of this.chunkPieces) this.release(p);
        this.freeChunk();
      }
    } else {
      this.release(piece);
    }
    if (this.chunkRemaining === 0) this.state = 'data-crlf';
  }

  private verifyChunk(chunkSha256Hex: string): void {
    const s = this.opts.signing!;
    const expected = signatureHex(s.signingKey, chunkStringToSign(s.amzDate, s.scope, this.previousSignature, chunkSha256Hex));
    if (!signaturesEqual(expected, this.chunkSignature)) {
      throw s3Error('SignatureDoesNotMatch', { message: 'The chunk signature we calculated does not match the signature you provided.' });
    }
    this.previousSignature = expected;
  }

  private onFinalChunk(): void {
    if (this.opts.signing) this.verifyChunk(EMPTY_SHA256);
    if (this.decoded !== this.opts.decodedLength) {
      throw s3Error('IncompleteBody', { message: 'The chunks are shorter than x-amz-decoded-content-length.' });
    }
    this.state = 'trailer';
  }

  private onTrailerLine(line: string): void {
    if (line === '') {
      this.finish();
      return;
    }
    if (this.opts.trailer === 'none') throw malformed('a trailer was sent but x-amz-content-sha256 announced none');
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('invalid trailer line');
    if (this.trailers.length >= MAX_TRAILER_LINES) throw malformed('too many trailer lines');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === TRAILER_SIGNATURE) this.trailerSignature = value;
    else this.trailers.push([name, value]);
  }

  /** Everything has arrived: verify the trailer, then let the held-back bytes go. */
  private finish(): void {
    if (this.opts.trailer === 'signed') this.verifyTrailerSignature();
    const alg = this.opts.trailerChecksum;
    if (alg !== undefined) {
      const header = checksumHeaderName(alg);
      const sent = this.trailers.find(([name]) => name === header)?.[1];
      if (sent === undefined) throw s3Error('InvalidRequest', { message: `The trailer does not carry the ${header} announced in x-amz-trailer.` });
      if (!isValidChecksumValue(alg, sent)) throw s3Error('InvalidRequest', { message: `Value for ${header} trailing header is invalid.` });
      if (this.checksum!.digestBase64() !== sent) throw checksumMismatchError(alg);
      this.verifiedChecksum = { algorithm: alg, value: sent };
    }
    this.state = 'done';
    if (this.held) this.push(this.held);
    this.held = null;
  }

  private verifyTrailerSignature(): void {
    const s = this.opts.signing!;
    if (this.trailerSignature === undefined) {
      throw s3Error('SignatureDoesNotMatch', { message: 'The trailer of a signed aws-chunked body has no x-amz-trailer-signature.' });
    }
    // Canonical trailer: "name:value\n" per header, sorted by name like canonical headers.
    const canonical = [...this.trailers]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([n, v]) => `${n}:${v}\n`)
      .join('');
    const expected = signatureHex(s.signingKey, trailerStringToSign(s.amzDate, s.scope, this.previousSignature, sha256Hex(canonical)));
    if (!signaturesEqual(expected, this.trailerSignature)) {
      throw s3Error('SignatureDoesNotMatch', { message: 'The trailer signature we calculated does not match the signature you provided.' });
    }
  }

  private release(piece: Buffer): void {
    if (this.held) this.push(this.held);
    this.held = piece;
  }
}

/**
 * The decoder for a request whose signature verification said its body is aws-chunked,
 * configured from `x-amz-decoded-content-length` and `x-amz-trailer`.
 */
export function createAwsChunkedDecoder(
  payload: Extract<PayloadAuth, { mode: 'streaming-signed' | 'streaming-unsigned-trailer' }>,
  headers: IncomingHttpHeaders,
  maxChunkSize: number = MAX_CHUNK_SIZE,
  reserve?: AwsChunkedOptions['reserve'],
): AwsChunkedDecoder {
  const lengthText = headers['x-amz-decoded-content-length'];
  if (typeof lengthText !== 'string') throw s3Error('MissingContentLength');
  if (!/^\d{1,16}$/.test(lengthText)) {
    throw s3Error('InvalidArgument', {
      message: 'x-amz-decoded-content-length must be a non-negative integer.',
      extra: { ArgumentName: 'x-amz-decoded-content-length', ArgumentValue: lengthText },
    });
  }
  const trailerChecksum = announcedTrailerChecksum(headers['x-amz-trailer']);
  const base = { decodedLength: Number(lengthText), maxChunkSize, ...(trailerChecksum ? { trailerChecksum } : {}), ...(reserve ? { reserve } : {}) };
  if (payload.mode === 'streaming-unsigned-trailer') return new AwsChunkedDecoder({ ...base, trailer: 'unsigned' });
  const { seedSignature, signingKey, amzDate, scope } = payload;
  return new AwsChunkedDecoder({
    ...base,
    signing: { seedSignature, signingKey, amzDate, scope },
    trailer: payload.trailer ? 'signed' : 'none',
  });
}

/** The checksum algorithm `x-amz-trailer` announces; S3 accepts exactly one checksum header there. */
function announcedTrailerChecksum(value: string | string[] | undefined): ChecksumAlgorithm | undefined {
  if (value === undefined) return undefined;
  const names = (Array.isArray(value) ? value.join(',') : value).split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  const algorithms = names.map(checksumAlgorithmOfHeader);
  if (algorithms.some((a) => a === undefined)) {
    throw s3Error('InvalidRequest', { message: 'The value specified in the x-amz-trailer header is not supported' });
  }
  if (algorithms.length > 1) {
    throw s3Error('InvalidRequest', { message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.' });
  }
  return algorithms[0];
}

/** The Content-Encoding to store: "aws-chunked" describes the transfer, not the object. */
export function contentEncodingWithoutAwsChunked(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const rest = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '' && v.toLowerCase() !== 'aws-chunked');
  return rest.length === 0 ? undefined : rest.join(', ');
}
