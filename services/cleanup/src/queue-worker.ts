// Works the cleanup_queue: every byte deletion the system owes (displaced copies,
// deleted objects, aborted uploads, failed writes). A row leaves the queue — and its
// orphan bytes leave the quota — only once the bytes are really gone; failures are
// retried with exponential backoff.
import type { Config } from '@s3o/config';
import type { CleanupRow, Ledger } from '@s3o/store';
import { BackendUnsupportedError, type BackendClient } from '@s3o/backends';
import type { Logger } from '@s3o/telemetry';

export interface CleanupWorkerDeps {
  config: Config;
  ledger: Ledger;
  backends: Map<string, BackendClient>;
  logger: Logger;
}

export class CleanupQueueWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: CleanupWorkerDeps) {}

  start(): void {
    this.stopped = false;
    this.wake();
    this.timer = setInterval(() => this.wake(), this.deps.config.cleanupQueue.tickMs);
    this.timer.unref();
  }

  /** Run a pass now (or right after the one in progress). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass: claim due rows in batches until none are due. Resolves when done. */
  async drain(): Promise<void> {
    const { ledger, config, logger } = this.deps;
    const { batchSize, concurrency } = config.cleanupQueue;
    try {
      while (!this.stopped) {
        const rows = await ledger.claimCleanup(batchSize, Date.now(), Math.max(60_000, 2 * config.server.backendTimeoutMs));
        if (rows.length === 0) return;
        let next = 0;
        const lanes = Array.from({ length: Math.min(concurrency, rows.length) }, async () => {
          while (next < rows.length) {
            const row = rows[next++];
            if (row) await this.process(row);
          }
        });
        await Promise.all(lanes);
        if (rows.length < batchSize) return;
      }
    } catch (err) {
      logger.error({ err }, 'cleanup pass failed; retrying at the next tick');
    }
  }

  private async process(row: CleanupRow): Promise<void> {
    const { ledger, backends, config, logger } = this.deps;
    const client = backends.get(row.backendName);
    try {
      if (!client) throw new Error(`backend ${row.backendName} is not configured`);
      if (row.kind === 'multipart_upload') {
        try {
          await client.abortMultipartUpload(row.storageKey, row.backendUploadId ?? '');
        } catch (err) {
          // Retrying cannot help a backend that has no abort: close the debt, say so.
          if (!(err instanceof BackendUnsupportedError)) throw err;
          logger.warn({ backend: row.backendName, storageKey: row.storageKey }, 'backend cannot abort multipart uploads; debt closed as unsupported');
        }
      } else {
        await client.deleteObject(row.storageKey);
      }
      await ledger.completeCleanup(row.id);
      logger.debug({ backend: row.backendName, storageKey: row.storageKey, reason: row.reason }, 'cleanup done');
    } catch (err) {
      const { backoffBaseMs, backoffMaxMs } = config.cleanupQueue;
      const delay = Math.min(backoffBaseMs * 2 ** row.attempts, backoffMaxMs);
      const message = err instanceof Error ? err.message : String(err);
      logger.warn({ err, backend: row.backendName, storageKey: row.storageKey, attempts: row.attempts + 1, retryInMs: delay }, 'cleanup failed');
      await ledger.failCleanup(row.id, message, Date.now() + delay);
    }
  }
}
