// Verifying a plain (not aws-chunked) request body while it streams to a backend.
// Every check can only be made after the last byte, so the last piece of data is held
// back until they pass: a backend PUT with Content-Length never completes with a body
// that turns out to be bad — it is aborted instead ("a bad body never lands").
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { checksumMismatchError, createChecksum, type Checksum, type ChecksumAlgorithm } from './checksum.js';
import { verifyContentMd5 } from './content-md5.js';
import { s3Error } from './errors.js';

export interface BodyExpectations {
  /** The hex SHA-256 the client signed (`x-amz-content-sha256`) → XAmzContentSHA256Mismatch. */
  sha256Hex?: string;
  /** The digest from a Content-MD5 header (see parseContentMd5) → BadDigest. */
  contentMd5?: Buffer;
  /** An `x-amz-checksum-*` header value (base64, already format-checked) → BadDigest. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** The declared length (Content-Length or x-amz-decoded-content-length) → IncompleteBody. */
  length?: number;
  /**
   * Compute this checksum of the bytes though the client sent none (no check): the gateway's
   * default CRC64NVME of a body without one, as AWS keeps since 2025. Read it as `computed`.
   */
  compute?: ChecksumAlgorithm;
}

/**
 * A pass-through that checks the body against what the client declared and computes
 * its MD5, which every stored body needs for its ETag.
 */
export class BodyVerifier extends Transform {
  private readonly expect: BodyExpectations;
  private readonly md5Hash: Hash = createHash('md5');
  private readonly sha256: Hash | undefined;
  private readonly checksum: Checksum | undefined;
  private readonly computing: Checksum | undefined;
  private computedValue: string | undefined;
  private held: Buffer | null = null;
  private count = 0;
  private md5Digest: Buffer | undefined;

  constructor(expect: BodyExpectations = {}) {
    super();
    this.expect = expect;
    this.sha256 = expect.sha256Hex !== undefined ? createHash('sha256') : undefined;
    this.checksum = expect.checksum ? createChecksum(expect.checksum.algorithm) : undefined;
    this.computing = expect.compute ? createChecksum(expect.compute) : undefined;
  }

  /** The `compute` checksum (base64); available once the stream has finished verifying. */
  get computed(): string | undefined {
    return this.computedValue;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.count;
  }

  /** The body's MD5; available once the stream has finished verifying. */
  get md5(): Buffer {
    if (!this.md5Digest) throw new Error('BodyVerifier: md5 read before the body was verified');
    return this.md5Digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.expect.length !== undefined && this.count > this.expect.length) {
      callback(s3Error('IncompleteBody', { message: 'The body is longer than the declared length.' }));
      return;
    }
    this.md5Hash.update(chunk);
    this.sha256?.update(chunk);
    this.checksum?.update(chunk);
    this.computing?.update(chunk);
    if (this.held) this.push(this.held);
    this.held = chunk;
    callback();
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.verify();
    } catch (err) {
      callback(err as Error);
      return;
    }
    if (this.held) this.push(this.held);
    this.held = null;
    callback();
  }

  private verify(): void {
    const e = this.expect;
    if (e.length !== undefined && this.count !== e.length) throw s3Error('IncompleteBody');
    const md5 = this.md5Hash.digest();
    if (this.sha256) {
      const computed = this.sha256.digest('hex');
      if (computed !== e.sha256Hex) {
        throw s3Error('XAmzContentSHA256Mismatch', {
          extra: { ClientComputedContentSHA256: e.sha256Hex!, S3ComputedContentSHA256: computed },
        });
      }
    }
    if (e.contentMd5) verifyContentMd5(e.contentMd5, md5);
    if (this.checksum && this.checksum.digestBase64() !== e.checksum!.value) throw checksumMismatchError(e.checksum!.algorithm);
    this.computedValue = this.computing?.digestBase64();
    this.md5Digest = md5;
  }
}
