// Works the cleanup_queue: every byte deletion the system owes (displaced copies,
// deleted objects, aborted uploads, failed writes). A row leaves the queue — and its
// orphan bytes leave the quota — only once the bytes are really gone; failures are
// retried with exponential backoff (backoff_base · 2^attempts, capped at backoff_max),
// and after cleanup_queue.max_attempts the debt moves to cleanup_dlq, still charged,
// for an operator to look at and requeue (admin API).
//
// A backend that cannot abort multipart uploads (405 / 501) keeps the upload's parts, and
// a provider bills them; an upload whose id was never learned (its CreateMultipartUpload
// answer was lost) is found by listing the uploads open at its storage key, and a backend
// that cannot list them cannot have it aborted either. Such a debt goes to cleanup_dlq at once — retrying cannot help —
// still charged to the backend's quota, with a last_error that says what is left where.
// The operator aborts the upload with the provider's own tools (or a lifecycle rule for
// incomplete uploads) and then discards the dead letter (admin API), which releases it.
//
// A debt "in doubt" — bytes of a request whose outcome is unknown, an intent its writer gave up
// on or died during — is settled by two DELETEs, `cleanup_queue.confirm_delay` apart. The
// gateway gives up on a PUT when its backend is away (frozen, partitioned), and a backend that
// comes back works off the requests it held in no set order: the DELETE (204 for a key not there
// yet) may run before the held PUT's bytes are stored, and a debt settled then leaks them (found
// by the chaos suite, docs/reliability.md). The second DELETE, once the held requests are long
// worked off, removes them. Reconcile's sweep of unaccounted `…!<id>` keys is the backstop.
import type { CleanupRow } from '@s3o/store';
import { deleteMarkerKey, markerBackendOf } from '@s3o/store';
import { BackendUnsupportedError } from '@s3o/backends';
import { auditLog, failSpan, inSpan, SERVICE_ATTRIBUTE } from '@s3o/telemetry';
import type { CleanupDeps } from './deps.js';
import { cleanupDeadLettered } from '@s3o/events';

/** What one pass over the queue did. */
export interface QueueCounts {
  /** debts whose bytes are gone: the rows left the queue */
  deleted: number;
  /** attempts that failed and are retried later */
  failed: number;
  /** debts that used up their attempts and moved to the dead-letter queue */
  deadLettered: number;
  /** in-doubt debts deleted once, kept for their confirming DELETE */
  confirming: number;
}

type DebtOutcome = 'deleted' | 'failed' | 'deadLettered' | 'confirming';

/** The last_error of an in-doubt debt whose bytes were deleted once and wait for the confirming DELETE. */
export const CONFIRMING_NOTE = 'deleted once; a second DELETE confirms that no request the backend still held stored the bytes again';

const NEVER = new AbortController().signal;

/**
 * The queue's job, run by every cleanup process (the claim's lease keeps them apart) on a
 * PeriodicWorker: woken by `cleanup.enqueued`, ticking for retries that come due.
 */
export class CleanupQueueWorker {
  private readonly clock: () => number;

  constructor(private readonly deps: CleanupDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** One pass: claim due rows in batches until none are due (or `signal` fires). */
  async drain(signal: AbortSignal = NEVER): Promise<QueueCounts> {
    const { ledger, config } = this.deps;
    const { batchSize, concurrency } = config.cleanupQueue;
    const counts: QueueCounts = { deleted: 0, failed: 0, deadLettered: 0, confirming: 0 };
    while (!signal.aborted) {
      // The lease outlives any one attempt (a delete is bounded by the backend timeout,
      // with at most two resends on a stale connection), so rows are never worked twice
      // at once, yet a crashed worker's rows return soon.
      const rows = await ledger.claimCleanup(batchSize, this.clock(), 3 * config.server.backendTimeoutMs);
      if (rows.length === 0) break;
      let next = 0;
      const lanes = Array.from({ length: Math.min(concurrency, rows.length) }, async () => {
        while (next < rows.length) {
          const row = rows[next++];
          if (row) counts[await this.process(row)]++;
        }
      });
      await Promise.all(lanes);
      if (rows.length < batchSize) break;
    }
    return counts;
  }

  /**
   * One debt, as one span (under the event that woke the worker, when one did) and one
   * audit line, whatever the outcome.
   */
  private async process(row: CleanupRow): Promise<DebtOutcome> {
    const { ledger, logger } = this.deps;
    const started = performance.now();
    const audit = (outcome: 'deleted' | 'confirming' | 'failed', error?: string) => auditLog(logger, 'cleanup.delete', {
      backend: row.backendName, storageKey: row.storageKey, objectKey: row.objectKey, kind: row.kind, reason: row.reason,
      sizeBytes: row.sizeBytes, attempt: row.attempts + 1, outcome, ...(error ? { error } : {}),
      durationMs: Math.round(performance.now() - started),
    });
    const attributes = { [SERVICE_ATTRIBUTE]: 'cleanup', 's3o.backend': row.backendName, 's3o.storage_key': row.storageKey, 's3o.cleanup.reason': row.reason };
    return inSpan('cleanup.delete', { attributes }, async (span): Promise<DebtOutcome> => {
      try {
        const confirmLater = this.awaitsConfirmation(row);
        await this.deleteBytes(row, confirmLater);
        if (confirmLater) {
          await ledger.confirmCleanupLater(row.id, CONFIRMING_NOTE, this.clock() + this.deps.config.cleanupQueue.confirmDelayMs);
          audit('confirming');
          return 'confirming';
        }
        await ledger.completeCleanup(row.id);
        audit('deleted');
        return 'deleted';
      } catch (err) {
        failSpan(span, err);
        audit('failed', err instanceof Error ? err.message : String(err));
        return this.recordFailure(row, err);
      }
    });
  }

  /** An in-doubt debt: its deletion is confirmed later (the header says why); its row stays, charged, until then. */
  private awaitsConfirmation(row: CleanupRow): boolean {
    return row.inDoubt && this.deps.config.cleanupQueue.confirmDelayMs > 0;
  }

  /** `keepMarker`: a deleted object's marker stays until the confirming DELETE (bytes may land again before it). */
  private async deleteBytes(row: CleanupRow, keepMarker: boolean): Promise<void> {
    const { backends } = this.deps;
    const client = backends.get(row.backendName);
    if (!client) throw new Error(`backend ${row.backendName} is not configured`);
    if (row.kind === 'multipart_upload') {
      let cannotAbort: BackendUnsupportedError | null = null;
      try {
        // An upload whose CreateMultipartUpload answer was lost has no known id: the
        // storage key is this upload's alone, so every upload open at it is ours to abort.
        const uploadIds = row.backendUploadId !== null
          ? [row.backendUploadId]
          : (await client.listUploadsOf(row.storageKey)).map((u) => u.uploadId);
        for (const uploadId of uploadIds) await client.abortMultipartUpload(row.storageKey, uploadId);
      } catch (err) {
        if (!(err instanceof BackendUnsupportedError)) throw err;
        cannotAbort = err;
      }
      // The backend may have completed the upload before the ledger let go of it (a Complete
      // racing the abort, or the stale sweep): the storage key is this upload's alone and no
      // copy uses it — the ledger commits an upload's copy and drops its debt-free row in one
      // transaction — so whatever object sits there is owed too. Absent = deleted.
      await client.deleteObject(row.storageKey);
      if (cannotAbort) throw new CannotAbortError(row, cannotAbort);
      return;
    }
    await client.deleteObject(row.storageKey);
    // A deleted object's copy has a delete marker (docs/architecture.md §4 "Deletes do not come
    // back") beside it, or on the backend its debt names; it goes only now that the bytes it
    // names are gone. Absent = done.
    const markerOn = markerBackendOf(row);
    if (markerOn !== null && !keepMarker) {
      const markerClient = backends.get(markerOn);
      if (!markerClient) throw new Error(`backend ${markerOn} (holding a delete marker) is not configured`);
      await markerClient.deleteObject(deleteMarkerKey(row.storageKey));
    }
  }

  /** Retry later with backoff, or give up after max_attempts: the debt moves to the DLQ. */
  private async recordFailure(row: CleanupRow, err: unknown): Promise<'failed' | 'deadLettered'> {
    const { ledger, config, logger } = this.deps;
    const { backoffBaseMs, backoffMaxMs, maxAttempts } = config.cleanupQueue;
    const message = err instanceof Error ? err.message : String(err);
    const attempts = row.attempts + 1;
    const facts = { err, backend: row.backendName, storageKey: row.storageKey, kind: row.kind, attempts };
    if (err instanceof CannotAbortError) {
      logger.error(facts, 'backend cannot abort multipart uploads; the debt moved to the dead-letter queue (its parts stay charged) for an operator');
      await ledger.deadLetterCleanup(row.id, message, [cleanupDeadLettered(row, attempts, message)]);
      return 'deadLettered';
    }
    if (attempts >= maxAttempts) {
      logger.error(facts, 'cleanup gave up; the debt moved to the dead-letter queue (its bytes stay charged)');
      await ledger.deadLetterCleanup(row.id, message, [cleanupDeadLettered(row, attempts, message)]);
      return 'deadLettered';
    }
    const delay = Math.min(backoffBaseMs * 2 ** row.attempts, backoffMaxMs);
    logger.warn({ ...facts, retryInMs: delay }, 'cleanup failed');
    await ledger.failCleanup(row.id, message, this.clock() + delay);
    return 'failed';
  }
}

/**
 * The backend answered AbortMultipartUpload with 405 / 501: it cannot abort, so the upload's
 * parts stay there. Not a failure to retry but one for an operator to settle.
 */
class CannotAbortError extends Error {
  override name = 'CannotAbortError';

  constructor(row: CleanupRow, cause: BackendUnsupportedError) {
    super(
      row.backendUploadId === null
        // The id was never learned and the backend will not say which uploads are open.
        ? `backend ${row.backendName} cannot abort multipart uploads it cannot list (${cause.operation}: ${cause.status} ${cause.code}): ` +
          `an upload opened at ${row.storageKey} (its id never reached us) may stay open on the backend; abort the ` +
          `uploads open at that key with the provider's tools (or a lifecycle rule for incomplete uploads), then discard this dead letter`
        : `backend ${row.backendName} cannot abort multipart uploads (${cause.status} ${cause.code}): the parts of upload ` +
          `${row.backendUploadId} at ${row.storageKey} stay on the backend and stay charged; abort it with the ` +
          `provider's tools (or a lifecycle rule for incomplete uploads), then discard this dead letter`,
      { cause },
    );
  }
}
