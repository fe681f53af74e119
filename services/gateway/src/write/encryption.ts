// Encrypting a new object on its way to the backend (docs/architecture.md, "Encryption at
// rest"): one data key per object, its header kept in the ledger and in the backend object's
// metadata (`x-amz-meta-s3o-enc`), the body encrypted chunk by chunk as it streams through.
import { Readable } from 'node:stream';
import { encryptChunks, formatHeader, newEnvelope, parseHeader, partIndexBase, storedLength, type EnvelopeHeader } from '@s3o/crypto';
import { counter } from '@s3o/telemetry';
import type { GatewayDeps } from '../context.js';

const encrypted = counter({
  name: 's3o_encryption_encrypted_bytes_total',
  help: 'Plaintext bytes encrypted on their way to a backend (objects and multipart parts that landed)',
});

/** Counts `plaintextBytes` that landed encrypted on a backend. */
export function countEncrypted(plaintextBytes: number): void {
  encrypted.inc(plaintextBytes);
}

/** The metadata name of the envelope header on a stored object. */
export const ENCRYPTION_METADATA = 's3o-enc';

export interface WriteEncryption {
  header: EnvelopeHeader;
  dataKey: Buffer;
  /** the header as stored (ledger column, metadata value) */
  headerText: string;
  /** bytes the backend will hold */
  storedSize: number;
}

/** A data key and header for a new object of `size` plaintext bytes; null when new objects are not encrypted. */
export async function planWriteEncryption(deps: Pick<GatewayDeps, 'config' | 'keys'>, size: number): Promise<WriteEncryption | null> {
  const { config, keys } = deps;
  if (!config.encryption.enabled || !keys || keys.writeKeyId === null) return null;
  const { header, dataKey } = await newEnvelope(keys, config.encryption.chunkSize, size);
  return { header, dataKey, headerText: formatHeader(header), storedSize: storedLength(size, header.chunkSize) };
}

/**
 * The header of a new multipart upload's data key (no part layout yet: it is known at
 * Complete); null when new objects are not encrypted.
 */
export async function planUploadEncryption(deps: Pick<GatewayDeps, 'config' | 'keys'>): Promise<string | null> {
  const { config, keys } = deps;
  if (!config.encryption.enabled || !keys || keys.writeKeyId === null) return null;
  const { header } = await newEnvelope(keys, config.encryption.chunkSize, 0);
  return formatHeader({ ...header, parts: [] });
}

/** One part of an encrypted upload: its own chunk sequence, numbered from the part number. */
export function encryptedPart(header: EnvelopeHeader, dataKey: Buffer, partNumber: number, length: number, plain: Readable): { body: Readable; storedSize: number } {
  const part: EnvelopeHeader = { ...header, plaintextLength: length, parts: undefined };
  return {
    body: Readable.from(encryptChunks(dataKey, part, plain, partIndexBase(partNumber)), { objectMode: false }),
    storedSize: storedLength(length, header.chunkSize),
  };
}

/** The header of a completed upload: the upload's data key with the layout of the parts it is made of. */
export function completedHeader(uploadHeader: string, parts: ReadonlyArray<{ partNumber: number; plaintextSize: number }>): string {
  const header = parseHeader(uploadHeader);
  const layout = parts.map((p) => ({ number: p.partNumber, length: p.plaintextSize }));
  return formatHeader({ ...header, plaintextLength: layout.reduce((sum, p) => sum + p.length, 0), parts: layout });
}

/** The stored form of `plain`, read from it only as the backend reads (so a refused connection leaves it whole). */
export function encryptedBody(plan: WriteEncryption, plain: Readable): Readable {
  return Readable.from(encryptChunks(plan.dataKey, plan.header, plain), { objectMode: false });
}
