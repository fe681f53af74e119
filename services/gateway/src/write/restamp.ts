// Rewriting what a stored object's metadata says after the ledger changed it without new bytes
// (docs/architecture.md §4 "What a backend object carries"): Put/DeleteObjectTagging change
// the tags, and a multipart Complete learns the object's ETag, size and part layout only after
// the backend object was opened. A rebuild of the ledger reads those facts from the backend
// objects, so each ok copy is copied onto itself with the new metadata (REPLACE): a
// server-side request, no byte crosses the network. `s3o-seq` (the change's sequencer, which
// increases per key) lets a rebuild prefer the newest stamp when copies disagree.
//
// The ledger is the truth and the request has already succeeded in it; a restamp that fails
// is logged and counted, never the client's error. Two racing tag changes may restamp in the
// opposite order of their commits: after its restamp each one reads the ledger again and
// restamps once more while the tags it wrote are not the current ones, so the last to finish
// leaves the current set.
import type { ObjectRow } from '@s3o/store';
import { storedSizeOf } from '@s3o/store';
import type { GatewayDeps } from '../context.js';
import { backendMetadata } from './backend-metadata.js';
import { ENCRYPTION_METADATA } from './encryption.js';
import { SHA256_METADATA } from './store-object.js';

/** S3's CopyObject limit: larger copies keep their metadata (a rebuild falls back to the backend's own size and ETag). */
const MAX_SELF_COPY_BYTES = 5 * 1024 ** 3;
const MAX_ROUNDS = 3;
export const SEQ_METADATA = 's3o-seq';

export async function restampCopies(deps: Pick<GatewayDeps, 'ledger' | 'backends' | 'logger'>, objectKey: string, writeId: string, sequencer: string | null): Promise<void> {
  let stampedTags: string | null = null;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const found = await deps.ledger.getObject(objectKey);
    if (!found || found.object.writeId !== writeId) return; // rewritten or deleted since: its copies are debts
    const tags = JSON.stringify(found.object.tags ?? {});
    if (tags === stampedTags) return;
    const { object } = found;
    if (storedSizeOf(object) > MAX_SELF_COPY_BYTES) return;
    await Promise.all(found.locations.filter((l) => l.state === 'ok').map(async (location) => {
      const client = deps.backends.get(location.backendName);
      if (!client) return;
      try {
        await client.copyObject(location.storageKey, location.storageKey, { replace: stampOf(object, sequencer) });
      } catch (err) {
        deps.logger.warn({ err, backend: location.backendName, storageKey: location.storageKey }, 'rewriting a stored copy\'s metadata failed; a rebuild of the ledger would see its older metadata');
      }
    }));
    stampedTags = tags;
  }
}

function stampOf(object: ObjectRow, sequencer: string | null): { contentType: string; headers: ObjectRow['headers']; metadata: Record<string, string> } {
  const slash = object.objectKey.indexOf('/');
  const required: Record<string, string> = {
    ...(object.encryption ? { [ENCRYPTION_METADATA]: object.encryption } : {}),
    ...(object.contentHash ? { [SHA256_METADATA]: object.contentHash } : {}),
    ...(sequencer ? { [SEQ_METADATA]: sequencer } : {}),
  };
  return {
    contentType: object.contentType,
    headers: object.headers,
    metadata: backendMetadata({
      bucket: object.objectKey.slice(0, slash), key: object.objectKey.slice(slash + 1), writeId: object.writeId,
      etag: object.etag, storedSize: storedSizeOf(object), tags: object.tags, partSizes: object.partSizes,
    }, object.userMetadata, required),
  };
}
