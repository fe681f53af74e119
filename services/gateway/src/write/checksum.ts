// The additional checksums (x-amz-checksum-*) as the gateway keeps and answers them
// (docs/architecture.md §6, "Checksums"): a whole write stores the value its body was verified
// against; a multipart upload chooses an algorithm and type at Create, each part records its
// value, and Complete derives the object's from the parts' (COMPOSITE `…-N` or FULL_OBJECT).
import type { FastifyReply } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import {
  S3Error, checksumAlgorithmFromName, checksumDisplayName, checksumHeaderName, checksumTypeAllowed, defaultChecksumType,
  type ChecksumAlgorithm,
} from '@s3o/s3';
import type { StoredChecksum } from '@s3o/store';

/**
 * A checksum the body was verified against, else the gateway's default CRC64NVME of it (as
 * AWS keeps for a body sent without one): stored as the object's, FULL_OBJECT.
 */
export function wholeObjectChecksum(sent: { algorithm: ChecksumAlgorithm; value: string } | null, computed: string | null = null): StoredChecksum | undefined {
  if (sent) return { algorithm: sent.algorithm, type: 'FULL_OBJECT', value: sent.value };
  return computed !== null ? { algorithm: 'crc64nvme', type: 'FULL_OBJECT', value: computed } : undefined;
}

function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** CreateMultipartUpload's `x-amz-checksum-algorithm` / `x-amz-checksum-type`: the upload's choice, or none. */
export function uploadChecksumChoice(headers: IncomingHttpHeaders): StoredChecksum | undefined {
  const algorithmText = headerText(headers, 'x-amz-checksum-algorithm');
  const typeText = headerText(headers, 'x-amz-checksum-type');
  if (algorithmText === undefined) {
    if (typeText !== undefined) throw new S3Error('InvalidRequest', { message: 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.' });
    return undefined;
  }
  const algorithm = checksumAlgorithmFromName(algorithmText);
  if (!algorithm) throw new S3Error('InvalidRequest', { message: 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]' });
  const type = typeText === undefined ? defaultChecksumType(algorithm) : typeText.toUpperCase();
  if ((type !== 'COMPOSITE' && type !== 'FULL_OBJECT') || !checksumTypeAllowed(algorithm, type)) {
    throw new S3Error('InvalidRequest', { message: `The ${type} checksum type cannot be used with the ${algorithm} checksum algorithm.` });
  }
  return { algorithm, type };
}

/**
 * An upload that chose an algorithm takes only parts that carry that checksum (AWS refuses a
 * part without it or with another one), so Complete can derive the object's.
 */
export function requirePartChecksum(chosen: StoredChecksum | undefined, sent: ChecksumAlgorithm | null): void {
  if (!chosen || sent === chosen.algorithm) return;
  throw new S3Error('InvalidRequest', {
    message: `Checksum Type mismatch occurred, expected checksum Type: ${chosen.algorithm}, actual checksum Type: ${sent ?? 'null'}`,
  });
}

/** `x-amz-checksum-<alg>` and `x-amz-checksum-type` on an answer. */
export function setChecksumHeaders(reply: FastifyReply, checksum: StoredChecksum | undefined, withType = true): void {
  if (!checksum?.value) return;
  reply.header(checksumHeaderName(checksum.algorithm), checksum.value);
  if (withType) reply.header('x-amz-checksum-type', checksum.type);
}

/** `<ChecksumCRC32>…</ChecksumCRC32>` (the element names AWS uses in ListParts and Complete). */
export function checksumElement(algorithm: ChecksumAlgorithm, value: string): string {
  const name = `Checksum${checksumDisplayName(algorithm)}`;
  return `<${name}>${value}</${name}>`;
}
