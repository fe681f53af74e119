// What really sits on the backends: the gateway stores every write at
// `<virtual bucket>/<key>!<write id>` inside each backend's bucket (docs/architecture.md §4), so listing
// that prefix on every s3rver shows where an object's bytes are and whether old or failed
// writes have been cleaned up.
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { isDeleteMarker } from '@s3o/store';
import type { RunningBackend } from './harness.js';
import { readAll } from './data.js';

export interface StoredCopy {
  backend: string;
  storageKey: string;
  size: number;
}

/**
 * Every object under `prefix` in one backend's bucket — the stored bytes, not the delete markers
 * a delete leaves until cleanup has removed those bytes (docs/architecture.md §4 "Deletes do not
 * come back"); verify is what checks that no marker outlives them.
 */
export async function listBackend(backend: RunningBackend, prefix = ''): Promise<StoredCopy[]> {
  const found: StoredCopy[] = [];
  let token: string | undefined;
  do {
    const page = await backend.rawClient.send(
      new ListObjectsV2Command({ Bucket: backend.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const item of page.Contents ?? []) {
      if (isDeleteMarker(item.Key!)) continue;
      found.push({ backend: backend.name, storageKey: item.Key!, size: item.Size ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** The stored copies of one virtual object (any write of it) across the given backends. */
export async function storedCopies(backends: RunningBackend[], bucket: string, key: string): Promise<StoredCopy[]> {
  const lists = await Promise.all(backends.map((b) => listBackend(b, `${bucket}/${key}!`)));
  return lists.flat();
}

/** The bytes of one storage key, read from the backend directly. */
export async function readStored(backend: RunningBackend, storageKey: string): Promise<Buffer> {
  const res = await backend.rawClient.send(new GetObjectCommand({ Bucket: backend.bucket, Key: storageKey }));
  return readAll(res.Body as AsyncIterable<Uint8Array>);
}
