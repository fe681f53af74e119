// Content-MD5: the client's MD5 of the body, checked before (format) and after (value)
// the body streams through.
import { s3Error } from './errors.js';

/**
 * The 16-byte digest a Content-MD5 header carries, or undefined when the header is
 * absent. Anything but strict base64 of 16 bytes is `InvalidDigest`, answered before
 * the body is read.
 */
export function parseContentMd5(header: string | string[] | undefined): Buffer | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header;
  const digest = Buffer.from(value, 'base64');
  // Buffer's base64 decoder skips junk; a strict value survives the round trip.
  if (digest.length !== 16 || digest.toString('base64') !== value) throw s3Error('InvalidDigest');
  return digest;
}

/** `BadDigest` unless the MD5 computed over the body equals the one the client sent. */
export function verifyContentMd5(expected: Buffer, computed: Buffer): void {
  if (!expected.equals(computed)) {
    throw s3Error('BadDigest', {
      extra: { ExpectedDigest: expected.toString('base64'), CalculatedDigest: computed.toString('base64') },
    });
  }
}
