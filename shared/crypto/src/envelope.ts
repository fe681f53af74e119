// Envelope encryption of one object (docs/architecture.md, "Encryption at rest"): a random
// 256-bit data key per object, AES-256-GCM over fixed-size chunks, the data key wrapped by a
// master key. The header says everything needed to decrypt given the master keys; it is kept
// in the ledger (rotation re-wraps it there) and in the backend object's metadata (so the
// object stays readable with the database gone, and a ranged GET returns it with the bytes).
import { randomBytes } from 'node:crypto';
import type { KeySource } from './keys.js';

export const ENVELOPE_VERSION = 1;
export const DATA_KEY_BYTES = 32;
export const NONCE_BYTES = 12;

/** chunk_size bounds: a power of two from 4 KiB to 1 MiB. */
export const MIN_CHUNK_SIZE = 4 * 1024;
export const MAX_CHUNK_SIZE = 1024 * 1024;

export function isValidChunkSize(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_CHUNK_SIZE && n <= MAX_CHUNK_SIZE && (n & (n - 1)) === 0;
}

/** What a stored object's bytes need to be decrypted, besides the master key. */
export interface EnvelopeHeader {
  version: typeof ENVELOPE_VERSION;
  /** id of the master key that wrapped the data key */
  keyId: string;
  wrappedKey: Buffer;
  /** random per object; each chunk's nonce is derived from it and the chunk's index */
  nonceBase: Buffer;
  chunkSize: number;
  plaintextLength: number;
  /**
   * A multipart object: its parts in order, each its own chunk sequence (read-plan.ts). Empty
   * while the upload is open (the layout is known at Complete, and kept in the ledger).
   */
  parts?: PartLayout[];
}

export interface PartLayout {
  number: number;
  /** plaintext bytes of the part */
  length: number;
}

/** Key ids travel in headers and metadata: short, and plain ASCII without separators. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The header as one ASCII line (a metadata value, a ledger column): `v=1;k=…;c=…;p=…;n=…;w=…`. */
export function formatHeader(h: EnvelopeHeader): string {
  return [
    `v=${h.version}`, `k=${h.keyId}`, `c=${h.chunkSize}`, `p=${h.plaintextLength}`,
    `n=${h.nonceBase.toString('base64url')}`, `w=${h.wrappedKey.toString('base64url')}`,
    ...(h.parts ? [`m=${h.parts.map((p) => `${p.number}:${p.length}`).join(',')}`] : []),
  ].join(';');
}

export class MalformedHeaderError extends Error {
  constructor(problem: string) {
    super(`encryption header: ${problem}`);
    this.name = 'MalformedHeaderError';
  }
}

export function parseHeader(text: string): EnvelopeHeader {
  const fields = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new MalformedHeaderError(`bad field ${JSON.stringify(part)}`);
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const get = (name: string): string => {
    const v = fields.get(name);
    if (v === undefined) throw new MalformedHeaderError(`missing ${name}`);
    return v;
  };
  if (get('v') !== String(ENVELOPE_VERSION)) throw new MalformedHeaderError(`unknown version ${get('v')}`);
  const keyId = get('k');
  if (!KEY_ID_PATTERN.test(keyId)) throw new MalformedHeaderError('bad key id');
  const chunkSize = Number(get('c'));
  const plaintextLength = Number(get('p'));
  if (!isValidChunkSize(chunkSize)) throw new MalformedHeaderError(`bad chunk size ${get('c')}`);
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0) throw new MalformedHeaderError('bad plaintext length');
  const nonceBase = Buffer.from(get('n'), 'base64url');
  if (nonceBase.length !== NONCE_BYTES) throw new MalformedHeaderError('bad nonce base');
  const wrappedKey = Buffer.from(get('w'), 'base64url');
  if (wrappedKey.length === 0) throw new MalformedHeaderError('bad wrapped key');
  const header: EnvelopeHeader = { version: ENVELOPE_VERSION, keyId, wrappedKey, nonceBase, chunkSize, plaintextLength };
  const layout = fields.get('m');
  if (layout !== undefined) header.parts = parseLayout(layout, plaintextLength);
  return header;
}

function parseLayout(text: string, plaintextLength: number): PartLayout[] {
  if (text === '') return [];
  let sum = 0;
  let previous = 0;
  const parts = text.split(',').map((entry) => {
    const m = /^(\d+):(\d+)$/.exec(entry);
    if (!m) throw new MalformedHeaderError(`bad part ${JSON.stringify(entry)}`);
    const part = { number: Number(m[1]), length: Number(m[2]) };
    if (part.number <= previous || part.number > 10_000) throw new MalformedHeaderError('part numbers must increase, 1 to 10000');
    previous = part.number;
    sum += part.length;
    return part;
  });
  if (sum !== plaintextLength) throw new MalformedHeaderError('parts do not add up to the plaintext length');
  return parts;
}

/** A fresh data key and its header, for `plaintextLength` bytes cut into `chunkSize` chunks. */
export async function newEnvelope(keys: KeySource, chunkSize: number, plaintextLength: number): Promise<{ header: EnvelopeHeader; dataKey: Buffer }> {
  if (!isValidChunkSize(chunkSize)) throw new RangeError(`chunk size ${chunkSize} is not a power of two from 4 KiB to 1 MiB`);
  const dataKey = randomBytes(DATA_KEY_BYTES);
  const { keyId, wrapped } = await keys.wrap(dataKey);
  return {
    dataKey,
    header: { version: ENVELOPE_VERSION, keyId, wrappedKey: wrapped, nonceBase: randomBytes(NONCE_BYTES), chunkSize, plaintextLength },
  };
}

/** The data key of a header (UnknownKeyError / KeyMismatchError from the source when it cannot). */
export function openEnvelope(keys: KeySource, header: EnvelopeHeader): Promise<Buffer> {
  return keys.unwrap(header.keyId, header.wrappedKey);
}

/** The header with its data key wrapped again under the source's current key (rotation: no byte of the object changes). */
export async function rewrapHeader(keys: KeySource, header: EnvelopeHeader): Promise<EnvelopeHeader> {
  const dataKey = await openEnvelope(keys, header);
  const { keyId, wrapped } = await keys.wrap(dataKey);
  return { ...header, keyId, wrappedKey: wrapped };
}
