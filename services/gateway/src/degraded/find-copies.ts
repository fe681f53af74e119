// Finding a key's copies without the ledger: every write stores its bytes at
// `<bucket>/<storage path of key>!<write id>` (or `<bucket>/!h/<sha256>!<write id>` for
// long keys, see write/storage-key.ts), and write ids are ULIDs, which sort in creation
// order. So listing each backend under `<…>!` and keeping the names that end in exactly
// one ULID gives every copy of the key still on the backends, the newest first.
//
// Other keys can share the listing prefix (key `a!b` lists under the prefix of key `a`),
// but their names have more after the `!` than one ULID, so the filter drops them.
import type { BackendClient } from '@s3o/backends';
import { storageKeyFor } from '../write/storage-key.js';

/** A ULID in Crockford base32; its characters sort in the same order as their values. */
const WRITE_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** Same length as a real write id, so the long-key decision in storageKeyFor is the same. */
const ID_PLACEHOLDER = '0'.repeat(26);

/** Everything of the key's storage keys before the write id (ends with '!'). */
export function storagePrefixOf(bucket: string, key: string): string {
  return storageKeyFor(bucket, key, ID_PLACEHOLDER).slice(0, -ID_PLACEHOLDER.length);
}

export interface FoundCopy {
  backendName: string;
  storageKey: string;
  writeId: string;
}

export interface BroadcastOptions {
  /** Ask backends at once (true) or one after another in config order. */
  parallel: boolean;
  /** With `parallel`: at most this many at once; 0 = all. */
  parallelism: number;
}

export interface BroadcastResult {
  /** Newest write first; between copies of one write, config order. */
  copies: FoundCopy[];
  /** Backends whose listing failed: a newer copy may sit there unseen. */
  failed: Array<{ backendName: string; error: unknown }>;
}

async function listCopies(backendName: string, client: BackendClient, prefix: string): Promise<FoundCopy[]> {
  const copies: FoundCopy[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await client.listObjects({ prefix, continuationToken });
    for (const entry of page.keys) {
      const writeId = entry.key.slice(prefix.length);
      if (entry.key.startsWith(prefix) && WRITE_ID.test(writeId)) copies.push({ backendName, storageKey: entry.key, writeId });
    }
    continuationToken = page.nextToken;
  } while (continuationToken !== undefined);
  return copies;
}

/** Runs `work` on every item with at most `limit` running at once (0 = no limit). */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const width = limit === 0 ? items.length : Math.min(limit, items.length);
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

export async function findCopies(
  backends: ReadonlyMap<string, BackendClient>,
  prefix: string,
  options: BroadcastOptions,
): Promise<BroadcastResult> {
  const names = [...backends.keys()];
  const perBackend = new Map<string, FoundCopy[]>();
  const failed: BroadcastResult['failed'] = [];
  await forEachLimited(names, options.parallel ? options.parallelism : 1, async (backendName) => {
    try {
      perBackend.set(backendName, await listCopies(backendName, backends.get(backendName)!, prefix));
    } catch (error) {
      failed.push({ backendName, error });
    }
  });
  // Collected per backend, then flattened in config order, so ties keep that order.
  const copies = names.flatMap((name) => perBackend.get(name) ?? []);
  copies.sort((a, b) => (a.writeId < b.writeId ? 1 : a.writeId > b.writeId ? -1 : 0));
  return { copies, failed };
}
