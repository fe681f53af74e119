// One backend in one reconcile pass: its listing (all keys, in byte order) merged with the
// ledger's copies on it (same order). Two kinds of difference come out, each looked at
// again before anything changes — writes, deletes and cleanups go on during the walk:
//   * a copy the listing skipped → HEAD: 404 → marked missing (replication makes a new copy
//     from another one; an object left with none is reported by lost-objects.ts). Any other
//     answer changes nothing.
//   * a listed key that is no copy → findHoldings: an intent, debt, dead letter or upload
//     accounts for it → nothing. Else, of our own `…!<id>` form: a leftover of an
//     interrupted write, owed (a cleanup debt) once the id is older than the grace period.
//     Else a foreign object: imported (import-key.ts, in batches) into the bucket it names.
// Memory: one listing page, one page of copies and at most a page of copies to check at a time.
import type { BackendClient } from '@s3o/backends';
import type { BackendHolding, ImportObjectRequest } from '@s3o/store';
import { isDeleteMarker } from '@s3o/store';
import { forEachBounded } from './bounded.js';
import { byteOrder, HoldingCursor } from './holding-cursor.js';
import type { ReconcileCounts, ReconcileDeps } from './deps.js';
import { reconcileTarget } from './import-target.js';
import { importCandidates, inspectKey, type ImportResult } from './import-key.js';
import { leftoverGraceMs, ownWriteId, writeStartedAt } from './own-keys.js';

const PAGE_SIZE = 1000;
/** Backend calls (HEAD) and the ledger work after them, at once. */
const CONCURRENCY = 8;

export class BackendWalk {
  private readonly graceMs: number;
  private readonly buckets: ReadonlySet<string>;
  private readonly clock: () => number;

  constructor(
    private readonly deps: ReconcileDeps,
    private readonly client: BackendClient,
    private readonly counts: ReconcileCounts,
    /** the buckets objects may be imported into: config and stored ones */
    buckets: ReadonlySet<string>,
  ) {
    this.graceMs = leftoverGraceMs(deps.config);
    this.buckets = buckets;
    this.clock = deps.clock ?? Date.now;
  }

  async run(signal: AbortSignal): Promise<void> {
    const copies = new HoldingCursor(this.deps.ledger, this.client.name, 'copy', PAGE_SIZE);
    let absent: BackendHolding[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.listObjects({ continuationToken: token, maxKeys: PAGE_SIZE, signal });
      this.counts.keysListed += page.keys.length;
      const unknown: string[] = [];
      for (const listed of page.keys) {
        let copy = await copies.peek();
        while (copy && byteOrder(copy.storageKey, listed.key) < 0) {
          absent.push(copy);
          copies.advance();
          if (absent.length === PAGE_SIZE) absent = await this.checkAbsentCopies(absent, signal);
          copy = await copies.peek();
        }
        if (copy && copy.storageKey === listed.key) {
          while (copy && copy.storageKey === listed.key) {
            copies.advance();
            copy = await copies.peek();
          }
          continue;
        }
        unknown.push(listed.key);
      }
      absent = await this.checkAbsentCopies(absent, signal);
      const candidates: ImportObjectRequest[] = [];
      await forEachBounded(unknown, CONCURRENCY, async (key) => {
        const candidate = await this.checkUnknownKey(key, signal);
        if (candidate) candidates.push(candidate);
      }, signal);
      await this.importForeign(candidates);
      signal.throwIfAborted();
      token = page.nextToken;
    } while (token);
    // Every copy after the last listed key is absent from the listing too.
    for (let copy = await copies.peek(); copy; copy = await copies.peek()) {
      absent.push(copy);
      copies.advance();
      if (absent.length === PAGE_SIZE) absent = await this.checkAbsentCopies(absent, signal);
    }
    await this.checkAbsentCopies(absent, signal);
    signal.throwIfAborted();
  }

  /** Checks a batch of copies the listing skipped; returns the emptied batch to fill again. */
  private async checkAbsentCopies(absent: BackendHolding[], signal: AbortSignal): Promise<BackendHolding[]> {
    await forEachBounded(absent, CONCURRENCY, (c) => this.checkAbsentCopy(c, signal), signal);
    return [];
  }

  private async checkAbsentCopy(copy: BackendHolding, signal: AbortSignal): Promise<void> {
    const { ledger, logger } = this.deps;
    const objectKey = copy.objectKey!;
    const facts = { backend: this.client.name, storageKey: copy.storageKey, objectKey };
    try {
      // Only a definite "no such key" counts; an error leaves the copy as it is.
      if ((await this.client.headObject(copy.storageKey, { signal })) !== null) return;
      if (!(await ledger.markCopyMissing(objectKey, this.client.name, copy.storageKey))) return;
      this.counts.copiesMissing++;
      logger.warn(facts, 'copy not found on its backend; marked missing for repair');
    } catch (err) {
      if (signal.aborted) throw err;
      this.counts.failed++;
      logger.warn({ ...facts, err }, 'could not check a copy; next pass');
    }
  }

  /** A listed key that is no copy: nothing to do, a leftover handled, or an import candidate. */
  private async checkUnknownKey(storageKey: string, signal: AbortSignal): Promise<ImportObjectRequest | null> {
    const { ledger, logger } = this.deps;
    const backend = this.client.name;
    try {
      // Recorded since the copies page was read, or an intent, debt or upload: accounted for.
      if ((await ledger.findHoldings(backend, storageKey)).length > 0) return null;
      // A delete marker is cleanup's to remove, after the bytes it names (docs/architecture.md §4).
      if (isDeleteMarker(storageKey)) return null;
      const writeId = ownWriteId(storageKey);
      if (writeId !== null) {
        await this.leftover(storageKey, writeId, signal);
        return null;
      }
      const inspection = await inspectKey(this.client, storageKey, (bucketMetadata) => reconcileTarget(storageKey, bucketMetadata, this.buckets), signal);
      switch (inspection.outcome) {
        case 'candidate':
          return inspection.request;
        case 'unknown-bucket':
          this.counts.unknownBucket++;
          logger.warn({ backend, storageKey, bucket: inspection.bucket }, 'key on a backend names no bucket; not imported');
          return null;
        case 'unnamed':
          this.counts.unnamed++;
          return null;
        case 'gone':
          return null;
      }
    } catch (err) {
      if (signal.aborted) throw err;
      this.counts.failed++;
      logger.warn({ backend, storageKey, err }, 'could not look at a key found on a backend; next pass');
      return null;
    }
  }

  /** Foreign objects into the ledger, in batches; a failed batch is counted and retried next pass. */
  private async importForeign(candidates: ImportObjectRequest[]): Promise<void> {
    if (candidates.length === 0) return;
    const { ledger, logger } = this.deps;
    const backend = this.client.name;
    let results: ImportResult[];
    try {
      results = await importCandidates(ledger, candidates, false);
    } catch (err) {
      this.counts.failed += candidates.length;
      logger.warn({ backend, err, keys: candidates.length }, 'could not import keys found on a backend; next pass');
      return;
    }
    for (const { request, outcome } of results) {
      const facts = { backend, storageKey: request.storageKey, objectKey: request.objectKey };
      if (outcome === 'imported') {
        this.counts.imported++;
        this.counts.importedBytes += request.identity.size;
        logger.info({ ...facts, size: request.identity.size }, 'imported an object found on a backend');
      } else if (outcome === 'exists') {
        this.counts.conflicts++;
        logger.warn(facts, 'key on a backend would import over an existing object; left alone');
      }
    }
  }

  /** An unaccounted key of our own form: owed once its write is older than the grace period. */
  private async leftover(storageKey: string, writeId: string, signal: AbortSignal): Promise<void> {
    if (writeStartedAt(writeId) > this.clock() - this.graceMs) {
      this.counts.leftoversYoung++;
      return;
    }
    const found = await this.client.headObject(storageKey, { signal });
    if (!found) return;
    await this.deps.ledger.enqueueCleanup([{
      kind: 'object', backendName: this.client.name, storageKey, objectKey: null, reason: 'reconcile: leftover of an interrupted write',
      sizeBytes: found.size,
    }]);
    this.counts.leftoversOwed++;
    this.deps.logger.info({ backend: this.client.name, storageKey, size: found.size }, 'leftover of an interrupted write; owed to cleanup');
  }
}
