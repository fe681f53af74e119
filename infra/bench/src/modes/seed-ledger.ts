// Puts the objects of the LIST scenario straight into the ledger, before the gateway
// starts: listing is answered from the ledger alone, so the bytes never need to exist.
//
// The store has no bulk-insert path, so this goes through the ledger's public write API —
// claim + commitWrite per object, the two transactions every PUT commits — with many
// objects in flight at once so the single writer is never idle. It works on any Ledger,
// whatever its engine. No events are appended: nothing should react to seeded objects.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { newId, type Ledger, type ObjectIdentity } from '@s3o/store';
import { patternBuffer } from '../pattern.js';

/** Objects in flight at once; enough to keep the writer busy, few enough to bound memory. */
const IN_FLIGHT = 512;

export interface SeedListingOptions {
  bucket: string;
  count: number;
  backendName: string;
  objectBytes: number;
}

/** Key `i` of the listing bucket; zero-padded so byte order is numeric order. */
export function listingKey(i: number): string {
  return `listed/${String(i).padStart(7, '0')}.bin`;
}

/** Seeds `count` objects; resolves to the seconds it took. */
export async function seedListing(ledger: Ledger, options: SeedListingOptions): Promise<number> {
  const identity: ObjectIdentity = {
    size: options.objectBytes,
    etag: createHash('md5').update(patternBuffer(options.objectBytes)).digest('hex'),
    contentType: 'application/octet-stream',
    userMetadata: {},
    headers: {},
  };
  const start = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      const key = listingKey(next++);
      const intentId = newId();
      const claim = await ledger.claim({
        intentId,
        kind: 'write',
        objectKey: `${options.bucket}/${key}`,
        storageKey: `${options.bucket}/${key}!${intentId}`,
        sizeBytes: options.objectBytes,
        candidates: [options.backendName],
        identity,
      });
      if (!claim) throw new Error(`the ledger refused to claim space on ${options.backendName} while seeding`);
      await ledger.commitWrite({ intentId, identity, events: () => [] });
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, options.count) }, worker));
  return (performance.now() - start) / 1000;
}
