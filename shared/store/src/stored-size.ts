// What one copy of an object holds on a backend: its plaintext size, unless the object is
// stored in another form (encrypted: one GCM tag per chunk). Quotas, copies, replication,
// drains and rebalancing move and count these bytes (docs/architecture.md, "Encryption at rest").
import type { ObjectIdentity } from './types.js';

export function storedSizeOf(object: Pick<ObjectIdentity, 'size' | 'storedSize'>): number {
  return object.storedSize ?? object.size;
}
