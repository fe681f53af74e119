// The stale-multipart sweep: uploads untouched (no part reserved or recorded) for
// cleanup_queue.multipart_stale_timeout are aborted through the ledger's normal abort — rows
// removed, their part bytes owed as one `multipart_upload` debt — so the cleanup worker then
// aborts them on the backend. Clients that leave uploads open would otherwise hold the
// reserved space and the backend's parts forever.
import type { CleanupDeps } from './deps.js';

export interface MultipartSweepCounts {
  aborted: number;
  /** gone meanwhile (completed or aborted by the client) */
  skipped: number;
}

/** Uploads aborted per page of the sweep. */
const PAGE = 100;

export class StaleMultipartSweep {
  private readonly clock: () => number;

  constructor(private readonly deps: CleanupDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async pass(signal: AbortSignal): Promise<MultipartSweepCounts> {
    const { ledger, config, logger } = this.deps;
    const before = this.clock() - config.cleanupQueue.multipartStaleTimeoutMs;
    const counts: MultipartSweepCounts = { aborted: 0, skipped: 0 };
    // Every upload of a page leaves the stale set (aborted, or gone), so the next page is new.
    while (!signal.aborted) {
      const uploads = await ledger.listStaleUploads(before, PAGE);
      for (const upload of uploads) {
        if (signal.aborted) break;
        if (await ledger.abortMultipart(upload.uploadId, 'stale')) {
          counts.aborted++;
          logger.info({ uploadId: upload.uploadId, objectKey: upload.objectKey, backend: upload.backendName }, 'stale multipart upload aborted');
        } else {
          counts.skipped++;
        }
      }
      if (uploads.length < PAGE) break;
    }
    return counts;
  }
}
