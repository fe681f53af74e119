// GET and HEAD while the database is unreachable (docs/architecture.md §6, "DB down → degraded mode"):
// the object is found on the backends themselves and described from the copy's own
// headers, in the same shape the ledger would have answered with, so the read path
// (conditions, ranges, response headers, streaming with failover) stays one code path.
//
// Which copy: the newest write of the key on any backend (see find-copies.ts), provided
// it really is this key's — a copy that names another key in `x-amz-meta-s3o-key` is
// skipped. Two limits follow from answering without the ledger, and both lean towards
// "503, retry" over serving something the ledger would not:
//  * every backend must answer the listing, since a newer write may sit on a silent one;
//  * when the newest copy is gone by the time it is read, the key was deleted (cleanup
//    removes a key's newest bytes only then), so the answer is NoSuchKey, never an older copy.
// What this cannot know: a key deleted while the database was up still has bytes until
// cleanup ran, and is served until then.
import type { BackendClient, ObjectInfo } from '@s3o/backends';
import type { CircuitBreakerConfig } from '@s3o/config';
import { S3Error } from '@s3o/s3';
import { idTime, type LocationRow, type ObjectRow } from '@s3o/store';
import type { Logger } from '@s3o/telemetry';
import { internalKey } from '../http/address.js';
import { DEFAULT_CONTENT_TYPE } from '../write/identity.js';
import { ENCRYPTION_METADATA } from '../write/encryption.js';
import { parseHeader } from '@s3o/crypto';
import { findCopies, storagePrefixOf, type FoundCopy } from './find-copies.js';
import type { CachedLocation, LocationCache } from './location-cache.js';

/** Metadata the gateway adds to every stored object (write/backend-metadata.ts); not the client's. */
const OWN_METADATA_PREFIX = 's3o-';
const WRITE_ID_LENGTH = 26;
/** Listings a degraded read takes while the key's copies keep changing under it. */
const LISTINGS = 2;

export interface FoundObject {
  object: ObjectRow;
  locations: LocationRow[];
}

export interface DegradedReaderDeps {
  backends: ReadonlyMap<string, BackendClient>;
  settings: CircuitBreakerConfig;
  cache: LocationCache;
  logger: Logger;
}

type Described = { kind: 'found'; found: FoundObject } | { kind: 'gone' } | { kind: 'foreign' } | { kind: 'incomplete' };

function unavailable(message: string): S3Error {
  return new S3Error('ServiceUnavailable', { message });
}

function decodedOrNull(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

/** The copy's own metadata names the key it was written for; absent (no room in 2 KB) = trust the storage key. */
function belongsTo(info: ObjectInfo, bucket: string, key: string): boolean {
  const ownKey = info.metadata['s3o-key'];
  if (ownKey !== undefined && decodedOrNull(ownKey) !== key) return false;
  const ownBucket = info.metadata['s3o-bucket'];
  return ownBucket === undefined || ownBucket === bucket;
}

function clientMetadata(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).filter(([name]) => !name.startsWith(OWN_METADATA_PREFIX)));
}

export class DegradedReader {
  constructor(private readonly deps: DegradedReaderDeps) {}

  /** The object as the ledger would describe it, with its one known copy. Throws NoSuchKey / ServiceUnavailable. */
  async lookup(bucket: string, key: string, requestId: string): Promise<FoundObject> {
    const { settings, cache, logger, backends } = this.deps;
    if (!settings.degradedReadsEnabled) throw unavailable('The database is unreachable; please retry.');
    const objectKey = internalKey(bucket, key);

    const cached = cache.get(objectKey);
    if (cached !== null) {
      const described = await this.describe(cached, bucket, key, requestId);
      if (described.kind === 'found') return described.found;
      cache.delete(objectKey);
    }

    // The newest copy vanishing between the listing and its HEAD says the key's copies are
    // changing (cleanup paying a debt — a failed replica's leftover, or the copies of a delete),
    // not that the object is gone: the listing is taken again, and if it keeps changing the
    // answer is 503 to retry — never a 404 for an object that may be there, nor an older
    // write served in place of a newer one.
    for (let listing = 0; listing < LISTINGS; listing++) {
      const { copies, failed } = await findCopies(backends, storagePrefixOf(bucket, key), {
        parallel: settings.parallelBroadcast,
        parallelism: settings.degradedBroadcastParallelism,
      });
      if (failed.length > 0) {
        for (const { backendName, error } of failed) logger.warn({ err: error, backend: backendName, requestId }, 'degraded read: backend listing failed');
        throw unavailable('The database is unreachable and a storage backend did not answer; please retry.');
      }
      let changing = false;
      for (const copy of copies) {
        const described = await this.describe(copy, bucket, key, requestId);
        if (described.kind === 'foreign' || described.kind === 'incomplete') continue;
        if (described.kind === 'gone') {
          changing = true;
          break;
        }
        cache.set(objectKey, { backendName: copy.backendName, storageKey: copy.storageKey });
        return described.found;
      }
      if (!changing) throw new S3Error('NoSuchKey', { extra: { Key: key } });
    }
    throw unavailable('The database is unreachable and the copies of this key are changing; please retry.');
  }

  private async describe(location: CachedLocation | FoundCopy, bucket: string, key: string, requestId: string): Promise<Described> {
    const client = this.deps.backends.get(location.backendName);
    if (client === undefined) return { kind: 'gone' };
    let info: ObjectInfo | null;
    try {
      info = await client.headObject(location.storageKey);
    } catch (err) {
      this.deps.logger.warn({ err, backend: location.backendName, storageKey: location.storageKey, requestId }, 'degraded read: HEAD of a copy failed');
      throw unavailable('The database is unreachable and the storage backend did not answer; please retry.');
    }
    if (info === null) return { kind: 'gone' };
    if (!belongsTo(info, bucket, key)) return { kind: 'foreign' };
    // Fewer bytes than the write announced: what a cut-off write left behind for cleanup,
    // never committed — as if it were not there.
    const announced = info.metadata['s3o-size'];
    if (announced !== undefined && Number(announced) !== info.size) return { kind: 'incomplete' };

    // An encrypted copy carries its envelope header: the client's size is the plaintext's.
    const header = info.metadata[ENCRYPTION_METADATA];
    let size = info.size;
    if (header !== undefined) {
      let parsed;
      try {
        parsed = parseHeader(header);
      } catch (err) {
        this.deps.logger.error({ err, backend: location.backendName, storageKey: location.storageKey, requestId }, 'degraded read: copy has an unreadable encryption header');
        throw unavailable('The database is unreachable and the stored copy cannot be described; please retry.');
      }
      // An encrypted multipart object's part layout is only in the ledger (the backend's header
      // was written when the upload was opened): it cannot be decrypted without the database.
      if (parsed.parts?.length === 0) throw unavailable('The database is unreachable and this encrypted multipart object needs it; please retry.');
      size = parsed.plaintextLength;
    }
    const objectKey = internalKey(bucket, key);
    const writeId = location.storageKey.slice(-WRITE_ID_LENGTH);
    const modified = info.lastModified?.getTime();
    const createdAt = modified !== undefined && Number.isFinite(modified) ? modified : idTime(writeId);
    const object: ObjectRow = {
      objectKey,
      writeId,
      createdAt,
      size,
      ...(header !== undefined ? { storedSize: info.size, encryption: header } : {}),
      // Ours is the MD5 of the client's bytes; a backend's own ETag is the fallback (equal for single PUTs).
      etag: info.metadata['s3o-etag'] ?? info.etag,
      contentType: info.contentType ?? DEFAULT_CONTENT_TYPE,
      userMetadata: clientMetadata(info.metadata),
      headers: info.headers,
      contentHash: null,
    };
    const copy: LocationRow = {
      objectKey, backendName: location.backendName, storageKey: location.storageKey, writeId,
      sizeBytes: info.size, createdAt, state: 'ok',
    };
    return { kind: 'found', found: { object, locations: [copy] } };
  }
}
