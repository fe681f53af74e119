// The checksum of an object completed from parts, as AWS computes it from the parts'
// checksums (no byte is read again): COMPOSITE = the algorithm over the concatenated part
// digests, suffixed `-N`; FULL_OBJECT (CRCs only) = the CRC of the whole object, derived by
// combining the part CRCs (zlib's crc32_combine, generalised to any reflected CRC whose
// init and final xor are all ones, which CRC32, CRC32C and CRC64NVME are).
import { createChecksum, type ChecksumAlgorithm } from './checksum.js';

export type ChecksumType = 'COMPOSITE' | 'FULL_OBJECT';

/** Reflected polynomial and width of the CRCs that have a full-object form. */
const CRC_PARAMS: Partial<Record<ChecksumAlgorithm, { poly: bigint; width: number }>> = {
  crc32: { poly: 0xedb88320n, width: 32 },
  crc32c: { poly: 0x82f63b78n, width: 32 },
  crc64nvme: { poly: 0x9a6c9329ac4bc9b5n, width: 64 },
};

/** Whether `type` is allowed for `algorithm` (FULL_OBJECT needs a CRC; CRC64NVME has only FULL_OBJECT). */
export function checksumTypeAllowed(algorithm: ChecksumAlgorithm, type: ChecksumType): boolean {
  if (type === 'FULL_OBJECT') return CRC_PARAMS[algorithm] !== undefined;
  return algorithm !== 'crc64nvme';
}

/** AWS's default type for a multipart upload of `algorithm`. */
export function defaultChecksumType(algorithm: ChecksumAlgorithm): ChecksumType {
  return algorithm === 'crc64nvme' ? 'FULL_OBJECT' : 'COMPOSITE';
}

/** a(x)·b(x) mod p(x) over reflected bit order (zlib multmodp). */
function multModP(a: bigint, b: bigint, poly: bigint, width: number): bigint {
  let m = 1n << BigInt(width - 1);
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ poly : b >> 1n;
  }
  return p;
}

/** x^(8·bytes) mod p(x): the operator that shifts a CRC past `bytes` zero bytes. */
function shiftOperator(bytes: number, poly: bigint, width: number): bigint {
  let p = 1n << BigInt(width - 1); // x^0
  let power = 1n << BigInt(width - 2); // x^1, squared k times = x^(2^k)
  let n = BigInt(bytes) * 8n;
  while (n > 0n) {
    if (n & 1n) p = multModP(power, p, poly, width);
    power = multModP(power, power, poly, width);
    n >>= 1n;
  }
  return p;
}

function toBigInt(digest: Buffer): bigint {
  return BigInt(`0x${digest.toString('hex') || '0'}`);
}

function toDigest(value: bigint, width: number): Buffer {
  return Buffer.from(value.toString(16).padStart(width / 4, '0'), 'hex');
}

/** The whole object's CRC from its parts' CRCs (big-endian digests) and sizes, in order. */
export function combineCrcs(algorithm: ChecksumAlgorithm, parts: ReadonlyArray<{ digest: Buffer; size: number }>): Buffer {
  const params = CRC_PARAMS[algorithm];
  if (!params) throw new RangeError(`${algorithm} has no full-object combination`);
  const { poly, width } = params;
  let crc = toBigInt(createChecksum(algorithm).digest()); // the CRC of no bytes
  for (const part of parts) {
    crc = multModP(shiftOperator(part.size, poly, width), crc, poly, width) ^ toBigInt(part.digest);
  }
  return toDigest(crc, width);
}

/** The checksum a completed upload answers with: `base64` (FULL_OBJECT) or `base64-N` (COMPOSITE). */
export function multipartChecksum(algorithm: ChecksumAlgorithm, type: ChecksumType,
  parts: ReadonlyArray<{ value: string; size: number }>): string {
  const digests = parts.map((p) => ({ digest: Buffer.from(p.value, 'base64'), size: p.size }));
  if (type === 'FULL_OBJECT') return combineCrcs(algorithm, digests).toString('base64');
  const hash = createChecksum(algorithm);
  for (const d of digests) hash.update(d.digest);
  return `${hash.digestBase64()}-${parts.length}`;
}
