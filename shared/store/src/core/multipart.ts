// Multipart uploads (MultipartLedger): an upload is pinned to the backend it was opened on,
// each part reserves its space there before its bytes travel, and the completion commits the
// named parts as the key's object by the commit rule, in one transaction.
import { InvalidPartError, InvalidPartOrderError, NoSuchUploadError, TooManyUploadsError } from '../errors.js';
import type { CompleteMultipartRequest, CreateUploadRequest, ListRequest, MultipartLedger } from '../ledger.js';
import type { CompleteMultipartResult, MultipartPartRow, MultipartUploadRow } from '../types.js';
import { checkWriteConditions, throwConditionFailure, type ConditionFailure } from './conditions.js';
import { commitCopy, hasRoom, objectRow } from './commit.js';
import { compositeSha256 } from '../part-hashes.js';
import type { Core } from './tx-work.js';

function normaliseEtag(etag: string): string {
  return etag.replace(/^"+|"+$/g, '').toLowerCase();
}

export function multipartOperations(core: Core): MultipartLedger {
  return {
    async createUpload(req: CreateUploadRequest): Promise<boolean> {
      const { maxOpenUploads, ...row } = req;
      const outcome = await core.withWork(async (work): Promise<boolean | 'over-limit'> => {
        const refuse = async (reason: string) => work.owe({
          kind: 'multipart_upload', backendName: req.backendName, storageKey: req.storageKey,
          backendUploadId: req.backendUploadId, objectKey: req.objectKey, reason, sizeBytes: 0,
        });
        // A drain refuses new uploads from the moment it starts, like claims.
        if (await work.tx.isBackendDraining(req.backendName)) {
          await refuse('backend draining');
          return false;
        }
        if (maxOpenUploads && (await work.tx.countUploadsLocked(maxOpenUploads.from, maxOpenUploads.to)) >= maxOpenUploads.limit) {
          await refuse('too many open uploads');
          return 'over-limit';
        }
        await work.tx.insertUpload({ ...row, createdAt: work.now });
        return true;
      });
      // Thrown after the transaction committed, so the debt recorded above is kept.
      if (outcome === 'over-limit') throw new TooManyUploadsError(maxOpenUploads!.limit);
      return outcome;
    },

    async getUpload(uploadId: string): Promise<MultipartUploadRow | null> {
      return core.read((q) => q.selectUpload(uploadId));
    },

    async claimPart(uploadId: string, partNumber: number, sizeBytes: number, plaintextSize?: number): Promise<boolean> {
      return core.withWork(async ({ tx, now }) => {
        const upload = await tx.lockUpload(uploadId);
        if (!upload) throw new NoSuchUploadError(uploadId);
        // The upload is pinned: a draining backend still takes its parts (the drain waits for
        // open uploads or their stale sweep); only the quota can refuse a part.
        // A backend without a quota row cannot be locked, so, as in claim, it has no room.
        if (!(await tx.lockBackendQuota(upload.backendName))) return false;
        const replaced = await tx.selectPart(uploadId, partNumber);
        const balance = await tx.quotaBalance(upload.backendName);
        if (!balance) return false;
        if (!hasRoom(balance, balance.inflight - (replaced?.sizeBytes ?? 0), sizeBytes)) return false;
        await tx.upsertPart({ uploadId, partNumber, etag: null, backendEtag: null, sizeBytes, ...plaintextOf(plaintextSize), createdAt: now });
        return true;
      });
    },

    async recordPart(uploadId: string, partNumber: number, etag: string, backendEtag: string, sizeBytes: number, plaintextSize?: number, checksum?: string, sha256?: string): Promise<void> {
      await core.withWork(async ({ tx, now }) => {
        if (!(await tx.lockUpload(uploadId))) throw new NoSuchUploadError(uploadId);
        await tx.upsertPart({
          uploadId, partNumber, etag: normaliseEtag(etag), backendEtag, sizeBytes, ...plaintextOf(plaintextSize),
          ...(checksum !== undefined ? { checksum } : {}), ...(sha256 !== undefined ? { sha256 } : {}), createdAt: now,
        });
      });
    },

    async releasePart(uploadId: string, partNumber: number): Promise<void> {
      await core.withWork(({ tx }) => tx.deletePart(uploadId, partNumber));
    },

    async listParts(uploadId: string): Promise<MultipartPartRow[]> {
      return core.read((q) => q.selectParts(uploadId));
    },

    async listUploads(req: ListRequest & { afterUploadId?: string | null }): Promise<MultipartUploadRow[]> {
      if (req.limit <= 0) return [];
      return core.read((q) => q.listUploads(req.from, req.to, req.afterUploadId ?? null, req.limit));
    },

    async completeMultipart(req: CompleteMultipartRequest): Promise<CompleteMultipartResult> {
      if (req.parts.length === 0) throw new RangeError('completeMultipart needs at least one part');
      for (let i = 1; i < req.parts.length; i++) {
        if (req.parts[i]!.partNumber <= req.parts[i - 1]!.partNumber) throw new InvalidPartOrderError();
      }
      const outcome = await core.withWork(async (work): Promise<CompleteMultipartResult | ConditionFailure> => {
        const { tx } = work;
        const upload = await tx.lockUpload(req.uploadId);
        if (!upload || upload.objectKey !== req.objectKey) {
          const current = await tx.lockObjectKey(req.objectKey);
          if (!upload && current && current.writeId === req.uploadId) {
            return { repeated: true, object: current, copies: await tx.selectLocations(req.objectKey), displaced: [], sequencer: null };
          }
          throw new NoSuchUploadError(req.uploadId);
        }
        const recorded = new Map((await tx.selectParts(req.uploadId)).map((p) => [p.partNumber, p]));
        let size = 0;
        let stored = 0;
        const partSizes: number[] = [];
        const partHashes: string[] = [];
        for (const named of req.parts) {
          const part = recorded.get(named.partNumber);
          if (!part || part.etag === null) throw new InvalidPartError(named.partNumber, 'was not uploaded');
          if (part.etag !== normaliseEtag(named.etag)) throw new InvalidPartError(named.partNumber, 'has a different ETag');
          size += part.plaintextSize ?? part.sizeBytes;
          stored += part.sizeBytes;
          // Part sizes as the client sees them (partNumber reads): plaintext.
          partSizes.push(part.plaintextSize ?? part.sizeBytes);
          if (part.sha256 !== undefined) partHashes.push(part.sha256);
        }
        // Every reservation of the upload ends here: named parts become the object's bytes,
        // the others were discarded by the backend's Complete.
        await tx.deleteParts(req.uploadId);
        await tx.deleteUpload(req.uploadId);
        const { checksum: _chosen, ...uploadIdentity } = upload.identity;
        const identity = {
          ...uploadIdentity, size, etag: req.finalEtag, partSizes, ...(req.checksum ? { checksum: req.checksum } : {}),
          ...(req.encryption !== undefined ? { storedSize: stored, encryption: req.encryption } : { storedSize: null, encryption: null }),
          ...integrityOf(req.encryption === undefined && partHashes.length === req.parts.length ? partHashes : null),
        };
        const object = objectRow(upload.objectKey, upload.uploadId, identity, work.now);
        const failed = await checkWriteConditions(work, object, req);
        if (failed) {
          // The backend already made the object at the upload's storage key: it is owed.
          await work.owe({
            kind: 'object', backendName: upload.backendName, storageKey: upload.storageKey, objectKey: upload.objectKey,
            reason: failed === 'precondition-failed' ? 'precondition_failed' : 'condition_conflict', sizeBytes: size,
          });
          return failed;
        }
        const result = await commitCopy(work, object, {
          backendName: upload.backendName,
          storageKey: upload.storageKey,
        }, req.ifNoneMatchStar ? 'written' : 'upsert', req.events);
        return { ...result, repeated: false };
      });
      // Thrown after the transaction committed, so the debt recorded above is kept.
      throwConditionFailure(outcome);
      return outcome;
    },

    async abortMultipart(uploadId: string, reason: string): Promise<boolean> {
      return core.withWork(async (work) => {
        const upload = await work.tx.lockUpload(uploadId);
        if (!upload) return false;
        const parts = await work.tx.selectParts(uploadId);
        await work.tx.deleteParts(uploadId);
        await work.tx.deleteUpload(uploadId);
        await work.owe({
          kind: 'multipart_upload',
          backendName: upload.backendName,
          storageKey: upload.storageKey,
          backendUploadId: upload.backendUploadId,
          objectKey: upload.objectKey,
          reason,
          sizeBytes: parts.reduce((sum, p) => sum + p.sizeBytes, 0),
        });
        return true;
      });
    },

    async listStaleUploads(before: number, limit: number): Promise<MultipartUploadRow[]> {
      if (limit <= 0) return [];
      return core.read((q) => q.listStaleUploads(before, limit));
    },
  };
}

/**
 * The part hashes and composite of an object whose named parts all had their SHA-256 recorded
 * (docs/architecture.md, "Integrity"); otherwise neither, and its reads check only lengths.
 */
function integrityOf(partHashes: string[] | null): { contentHash: string | null; partHashes?: string[] } {
  return partHashes ? { contentHash: compositeSha256(partHashes), partHashes } : { contentHash: null };
}

/** The part row's plaintext size, present only when it differs from what the backend holds. */
function plaintextOf(plaintextSize: number | undefined): { plaintextSize?: number } {
  return plaintextSize !== undefined ? { plaintextSize } : {};
}
