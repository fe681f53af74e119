// The composite SHA-256 of an object completed from parts (docs/architecture.md, "Integrity"),
// shaped as S3's composite checksums: the SHA-256 of the concatenated binary digests of the
// parts, in part order, then `-N` for N parts. The `-N` tells a composite from a whole-object hash.
import { createHash } from 'node:crypto';

export function compositeSha256(partHashes: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of partHashes) hash.update(Buffer.from(part, 'hex'));
  return `${hash.digest('hex')}-${partHashes.length}`;
}
