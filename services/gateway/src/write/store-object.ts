// The write path of docs/architecture.md §6: claim space on the best backend, stream the bytes to a
// storage key of their own, commit in one transaction. Small bodies are held in memory
// (bounded by server.replay_buffer_bytes) so a failing backend is retried on the next
// candidate; larger ones stream straight through and fail over only while no byte of
// the body has been consumed.
import { Readable } from 'node:stream';
import { S3Error } from '@s3o/s3';
import { newId, NoSuchIntentError, type CommitResult, type ObjectIdentity, type StoredChecksum } from '@s3o/store';
import { conditionFailureAnswer, type WriteConditions } from './conditional-write.js';
import { objectCreated, type CreatedOp } from '@s3o/events';
import type { RequestContext } from '../context.js';
import { internalKey } from '../http/address.js';
import { rankBackends } from './rank.js';
import { storageKeyFor } from './storage-key.js';
import { backendMetadata } from './backend-metadata.js';
import { requestFacts } from './request-facts.js';
import { countEncrypted, ENCRYPTION_METADATA, encryptedBody, planWriteEncryption, type WriteEncryption } from './encryption.js';
import { PlaintextHash, sha256Hex } from './plaintext-hash.js';

/** Metadata name of the plaintext's SHA-256 on a stored object (when known before the upload). */
export const SHA256_METADATA = 's3o-sha256';
import type { IdentityBase } from './identity.js';

/**
 * Where the bytes come from: a small body read whole into memory once space is claimed
 * (replayable), or a one-shot stream.
 */
export type WriteSource =
  | { kind: 'small'; length: number; load: () => Promise<{ data: Buffer; md5: Buffer }> }
  | { kind: 'stream'; stream: Readable; length: number; md5: () => Buffer }
  /** read whole already (spilled to disk, write/spill.ts): a fresh stream for each attempt */
  | { kind: 'replayable'; length: number; open: () => Readable; md5: Buffer };

export interface StoreRequest {
  bucket: string;
  key: string;
  identity: IdentityBase;
  source: WriteSource;
  /** base64 MD5 to hand to the backend as its own integrity check, when known up front */
  contentMd5: string | null;
  conditions: WriteConditions;
  op: CreatedOp;
  /** The object's x-amz-checksum-*, read once the body has been verified (write/checksum.ts). */
  checksum?: () => StoredChecksum | undefined;
}


export async function storeObject(ctx: RequestContext, r: StoreRequest): Promise<CommitResult> {
  const { ledger, backends, config, logger } = ctx.deps;
  const objectKey = internalKey(r.bucket, r.key);
  const size = r.source.length;
  const streamed = r.source.kind === 'stream' ? r.source : null;
  // Encrypted, the backend holds more than the plaintext (a tag per chunk): that is what is
  // claimed and charged; the object's size stays the client's.
  const encryption = await planWriteEncryption(ctx.deps, size);
  const storedSize = encryption?.storedSize ?? size;
  let candidates = await rankBackends(config, ledger, storedSize, ctx.deps.availability);
  let small: { data: Buffer; md5: Buffer } | null = null;

  for (;;) {
    const intentId = newId();
    const storageKey = storageKeyFor(r.bucket, r.key, intentId);
    const claim = await ledger.claim({
      intentId, kind: 'write', objectKey, storageKey, sizeBytes: storedSize, candidates,
      identity: { ...r.identity, size, etag: '', ...storedFormOf(encryption) },
    });
    if (!claim) throw new S3Error('InsufficientStorage');
    // The intent is kept alive from its claim on, while a replayable body is read from the
    // client too: a slow client would otherwise let the reaper take the intent ("nothing
    // there") just before this request writes the key — bytes no record refers to, should
    // the process die before settleReapedIntent owes them.
    const heartbeat = setInterval(() => {
      ledger.heartbeat([intentId]).catch((err) => logger.warn({ err, intentId }, 'intent heartbeat failed'));
    }, config.writePath.pendingPattern.heartbeatMs);
    heartbeat.unref();
    if (r.source.kind === 'small' && small === null) {
      // Space first, then the body: a full system answers 507 without reading it.
      try {
        small = await r.source.load();
      } catch (err) {
        clearInterval(heartbeat);
        await ledger.dropIntent(intentId); // no backend request was made
        throw err;
      }
    }
    const replay = r.source.kind === 'replayable' ? r.source : null;
    const knownMd5 = small ? small.md5 : replay ? replay.md5 : r.contentMd5 ? Buffer.from(r.contentMd5, 'base64') : null;
    // integrity.enabled: the plaintext's SHA-256, known before the upload for a body in memory;
    // hashed on the way for a stream or a spilled body.
    const knownSha256 = config.integrity.enabled && small ? sha256Hex(small.data) : null;
    const streamHash = config.integrity.enabled && !small ? new PlaintextHash() : null;
    const client = backends.get(claim.backendName);
    if (!client) {
      clearInterval(heartbeat);
      throw new Error(`backend ${claim.backendName} has no client`);
    }
    try {
      const source = streamed ? streamed.stream : replay ? replay.open() : Readable.from([small!.data]);
      const plain = streamHash ? streamHash.through(source) : source;
      const metadata = backendMetadata({
        bucket: r.bucket, key: r.key, writeId: intentId, etag: knownMd5?.toString('hex') ?? null, storedSize, tags: r.identity.tags,
      }, r.identity.userMetadata, {
        ...(encryption ? { [ENCRYPTION_METADATA]: encryption.headerText } : {}),
        ...(knownSha256 ? { [SHA256_METADATA]: knownSha256 } : {}),
      });
      await client.putObject(storageKey, encryption ? encryptedBody(encryption, plain) : plain, {
        contentLength: storedSize,
        contentType: r.identity.contentType,
        // The client's MD5 is of the plaintext; the backend sees ciphertext (GCM tags protect it instead).
        contentMd5: encryption ? undefined : knownMd5?.toString('base64'),
        headers: r.identity.headers,
        metadata,
      });
    } catch (err) {
      clearInterval(heartbeat);
      // Bytes may have partly landed: the storage key becomes a debt either way.
      await ledger.abandonIntent(intentId, 'failed write');
      if (err instanceof S3Error) throw err; // the client's body was bad (digest, signature, length)
      // A stream is still whole if the failed backend never started reading it (it refused
      // the connection): then it can go to the next candidate.
      const replayable = !streamed || (!streamed.stream.destroyed && !streamed.stream.readableDidRead);
      logger.warn({ err, backend: claim.backendName, requestId: ctx.requestId, replayable }, 'backend write failed');
      candidates = candidates.filter((c) => c !== claim.backendName);
      if (!replayable || candidates.length === 0) {
        throw new S3Error('ServiceUnavailable', { message: 'The storage backend failed while writing; please retry.' });
      }
      continue;
    }
    clearInterval(heartbeat);
    if (encryption) countEncrypted(size);

    const md5 = streamed ? streamed.md5() : replay ? replay.md5 : small!.md5;
    const contentHash = knownSha256 ?? streamHash?.hex() ?? r.identity.contentHash ?? null;
    const checksum = r.checksum?.();
    const identity: ObjectIdentity = {
      ...r.identity, size, etag: md5.toString('hex'), contentHash, ...storedFormOf(encryption), ...(checksum ? { checksum } : {}),
    };
    try {
      return await ledger.commitWrite({
        intentId, identity, ifNoneMatchStar: r.conditions.ifNoneMatchStar,
        ...(r.conditions.ifWriteId !== undefined ? { ifWriteId: r.conditions.ifWriteId } : {}),
        events: (c) => [objectCreated(r.op, c, requestFacts(ctx))],
      });
    } catch (err) {
      const failed = conditionFailureAnswer(err);
      if (failed) throw failed;
      if (err instanceof NoSuchIntentError) return settleReapedIntent(ctx, objectKey, intentId, claim.backendName, storageKey, storedSize);
      throw err;
    }
  }
}

/** The identity fields of an encrypted object's stored form. */
function storedFormOf(encryption: WriteEncryption | null): Pick<ObjectIdentity, 'storedSize' | 'encryption'> {
  return encryption ? { storedSize: encryption.storedSize, encryption: encryption.headerText } : {};
}

/**
 * The upload outlived its intent: the reaper resolved it while this request stalled past
 * `min_age`. If the reaper promoted our bytes, the write is committed; otherwise our
 * bytes belong to nobody and become a debt, and the client is asked to retry.
 */
async function settleReapedIntent(ctx: RequestContext, objectKey: string, intentId: string,
  backendName: string, storageKey: string, size: number): Promise<CommitResult> {
  const { ledger } = ctx.deps;
  const found = await ledger.getObject(objectKey);
  if (found && found.object.writeId === intentId) {
    return { object: found.object, copies: found.locations, displaced: [], sequencer: '' };
  }
  await ledger.enqueueCleanup([{ kind: 'object', backendName, storageKey, objectKey, reason: 'write outlived its intent', sizeBytes: size }]);
  throw new S3Error('ServiceUnavailable', { message: 'The write took too long to commit; please retry.' });
}
