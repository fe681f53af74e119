// The per-chunk AES-256-GCM of docs/architecture.md, "Encryption at rest": the nonce is the
// object's random nonce base XOR the chunk's index (so no two chunks of one data key share a
// nonce), and the additional data binds the index and whether it is the last chunk — a chunk
// moved to another position, or a stream cut after a chunk boundary, fails authentication.
import { createCipheriv, createDecipheriv, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { NONCE_BYTES } from './envelope.js';

export function chunkNonce(nonceBase: Buffer, index: number): Buffer {
  const nonce = Buffer.from(nonceBase);
  if (nonce.length !== NONCE_BYTES) throw new RangeError('nonce base must be 12 bytes');
  // The index in the last 8 bytes, big-endian (indices stay below 2^53).
  const hi = Math.floor(index / 2 ** 32);
  const lo = index >>> 0;
  nonce.writeUInt32BE((nonce.readUInt32BE(4) ^ hi) >>> 0, 4);
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ lo) >>> 0, 8);
  return nonce;
}

function chunkAad(index: number, last: boolean): Buffer {
  const aad = Buffer.alloc(9);
  aad.writeUIntBE(Math.floor(index / 2 ** 32), 0, 4);
  aad.writeUInt32BE(index >>> 0, 4);
  aad[8] = last ? 1 : 0;
  return aad;
}

export function chunkCipher(dataKey: Buffer, nonceBase: Buffer, index: number, last: boolean): CipherGCM {
  const cipher = createCipheriv('aes-256-gcm', dataKey, chunkNonce(nonceBase, index));
  cipher.setAAD(chunkAad(index, last));
  return cipher;
}

/** The chunk's decipher; its tag is set (setAuthTag) once read, before final — which checks it. */
export function chunkDecipher(dataKey: Buffer, nonceBase: Buffer, index: number, last: boolean, tag?: Buffer): DecipherGCM {
  const decipher = createDecipheriv('aes-256-gcm', dataKey, chunkNonce(nonceBase, index), { authTagLength: 16 });
  decipher.setAAD(chunkAad(index, last));
  if (tag) decipher.setAuthTag(tag);
  return decipher;
}
