// The outbox relay (docs/architecture.md §5): moves committed event_log rows to JetStream. Every process
// that writes events runs one. Each pass is one ledger transaction — claim the oldest
// unpublished rows (disjoint across relays), publish them, mark them published — so a
// publish that fails leaves the rows for the next pass: NATS down means rows wait, never
// that events are lost. A row whose publish reached the stream but whose ack got lost is
// published again later; the stream drops the copy by its `Nats-Msg-Id` (the event id)
// within the duplicate window.
//
// The claim holds the ledger transaction open while the acks come back (on SQLite that is
// the single writer), so the relay only claims while the connection is up, publishes a batch
// in parallel under a short timeout, and gives the pass up as soon as the connection drops.
import type { JetStreamClient } from '@nats-io/jetstream';
import type { EventLogLedger, StoredEvent } from '@s3o/store';
import { startPublishSpan, type Logger } from '@s3o/telemetry';
import { encodeEvent } from './envelope.js';
import type { NatsLayout } from './layout.js';
import { Alarm, backoffMs } from './wake.js';

export interface OutboxRelayOptions {
  ledger: EventLogLedger;
  js: JetStreamClient;
  layout: NatsLayout;
  logger: Logger;
  /** look for rows this often even without a notify() */
  intervalMs: number;
  /** rows per pass */
  batch: number;
  /** how long one publish waits for the stream's ack */
  publishTimeoutMs: number;
  /** first delay after a failed pass; doubles up to intervalMs × 10 */
  retryBaseMs: number;
  /** false while the client is disconnected: nothing would be acked, so claiming rows only holds the ledger */
  isConnected: () => boolean;
  /** creates or updates the streams: after a failed pass, for a server that came back without them */
  provisionStreams: () => Promise<void>;
}

export class OutboxRelay {
  /** ended by notify(), a reconnect or stop(): there may be rows now */
  private readonly work = new Alarm();
  /** ended by a reconnect or stop() only: a failure's backoff must not be cut short by every commit */
  private readonly pause = new Alarm();
  private stopped = false;
  private done: Promise<void> | null = null;
  /** fails the pass in progress */
  private abortPass: ((err: Error) => void) | null = null;

  constructor(private readonly opts: OutboxRelayOptions) {}

  start(): void {
    this.done ??= this.run();
  }

  /** Rows were committed: publish them now instead of at the next poll. */
  notify(): void {
    this.work.wake();
  }

  /** The connection dropped: acks of the pass in progress will not come; roll it back now rather than at the timeout. */
  disconnected(): void {
    this.abortPass?.(new Error('the NATS connection dropped during the relay pass'));
  }

  /** The connection is back: retry at once. */
  reconnected(): void {
    this.pause.wake();
    this.work.wake();
  }

  /** Ends the loop after the pass in progress (whose transaction then commits or rolls back). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pause.wake();
    this.work.wake();
    await this.done;
  }

  private async run(): Promise<void> {
    const { ledger, logger, intervalMs, batch } = this.opts;
    let failures = 0;
    while (!this.stopped) {
      if (!this.opts.isConnected()) {
        await this.pause.sleep(intervalMs);
        continue;
      }
      try {
        if (failures > 0) await this.opts.provisionStreams();
        const published = await ledger.relayEvents(batch, (events) => this.publish(events));
        failures = 0;
        // A full batch means more rows are probably waiting.
        if (published === batch) continue;
      } catch (err) {
        failures++;
        const delay = backoffMs(failures, this.opts.retryBaseMs, intervalMs * 10);
        logger.warn({ err, failures, retryInMs: delay }, 'event relay failed; the events stay in the outbox');
        await this.pause.sleep(delay);
        continue;
      }
      await this.work.sleep(intervalMs);
    }
  }

  /** All of the batch reaches the stream, or this throws and the ledger transaction rolls back. */
  private async publish(events: StoredEvent[]): Promise<void> {
    const { js, layout, publishTimeoutMs } = this.opts;
    const acks = Promise.all(
      events.map(async (event) => {
        const subject = layout.eventSubject(event.type);
        const span = startPublishSpan(event, subject);
        const { payload, headers } = encodeEvent(event, span.headerTraceparent);
        try {
          await js.publish(subject, payload, { msgID: event.id, headers, timeout: publishTimeoutMs });
          span.end();
        } catch (err) {
          span.end(err);
          throw err;
        }
      }),
    );
    // Publishes still out after an abort settle on their own; what reached the stream is
    // dropped as a duplicate when the rows are published again.
    acks.catch(() => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        this.abortPass = reject;
        acks.then(() => resolve(), reject);
      });
    } finally {
      this.abortPass = null;
    }
  }
}
