// One durable pull consumer (one subscription × one event type) and the loop that feeds its
// handler. The durable is shared by every replica of the service, so the server splits the
// messages between them.
//
// The loop pulls only as many messages as it has free handler slots, so nothing waits in a
// client buffer while its ack_wait runs out. A failing handler's message is nak'ed with a
// backoff delay and the loop moves on: no head-of-line blocking. On the last attempt the
// event is dead-lettered and terminated. The server is told `maxDeliver + 1` deliveries: the
// spare one is never given to the handler — it dead-letters an event whose last attempt
// never reported back (the process died, or dead-lettering failed), which would otherwise
// sit in the consumer forever, neither handled nor recorded as dead.
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { parseEvent, type DomainEvent } from '@s3o/events';
import type { EventLogLedger, StoredEvent } from '@s3o/store';
import { consumeEvent, countDeadLettered, type Logger } from '@s3o/telemetry';
import type { EventHandler } from '../types.js';
import { deadLetter, type DeadLetter } from './dead-letter.js';
import { decodeEvent, TRACEPARENT_HEADER } from './envelope.js';
import type { NatsLayout } from './layout.js';
import { provisionDurable } from './provision.js';
import { Alarm, backoffMs, errorMessage } from './wake.js';

export interface ConsumerWorkerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  ledger: EventLogLedger;
  layout: NatsLayout;
  logger: Logger;
  durable: string;
  eventType: string;
  handler: EventHandler;
  /** the service the handler belongs to, named on its trace spans */
  service: string;
  /** creates or updates the streams: a durable that is gone may have gone with its stream */
  provisionStreams: () => Promise<void>;
  /** handler attempts per event before it is dead-lettered */
  maxDeliver: number;
  ackWaitMs: number;
  /** handlers of this durable running at once in this process */
  concurrency: number;
  /** how long one pull waits on the server for messages */
  fetchExpiresMs: number;
  /** first redelivery delay after a failure; doubles per attempt up to retryMaxMs */
  retryBaseMs: number;
  retryMaxMs: number;
  publishTimeoutMs: number;
}

export class ConsumerWorker {
  /** resolves once the durable exists on the server; rejects if stopped before */
  readonly ready: Promise<void>;
  private settleReady!: (err?: Error) => void;
  private readonly inFlight = new Set<Promise<void>>();
  /** rung when a handler finishes (a slot is free) or on stop */
  private readonly slotFreed = new Alarm();
  /** rung on stop only: ends backoff waits */
  private readonly halt = new Alarm();
  private pull: ConsumerMessages | null = null;
  private stopped = false;
  private done: Promise<void> | null = null;

  constructor(private readonly opts: ConsumerWorkerOptions) {
    this.ready = new Promise((resolve, reject) => {
      this.settleReady = (err) => (err ? reject(err) : resolve());
    });
    this.ready.catch(() => undefined);
  }

  start(): void {
    this.done ??= this.run();
  }

  /** Stops pulling, hands back messages not started yet, and waits for the handlers in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.settleReady(new Error(`stopped before durable ${this.opts.durable} existed`));
    this.slotFreed.wake();
    this.halt.wake();
    await this.pull?.close();
    await this.done;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private async run(): Promise<void> {
    const { js, jsm, layout, logger, durable } = this.opts;
    let consumer: Consumer | null = null;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!consumer) {
          if (failures > 0) await this.opts.provisionStreams();
          await provisionDurable(jsm, layout.stream, {
            name: durable,
            filterSubject: layout.eventSubject(this.opts.eventType),
            maxDeliver: this.opts.maxDeliver + 1,
            ackWaitMs: this.opts.ackWaitMs,
          });
          consumer = await js.consumers.get(layout.stream, durable);
          this.settleReady();
        }
        await this.waitForSlot();
        if (this.stopped) break;
        const pull = await consumer.fetch({
          max_messages: this.opts.concurrency - this.inFlight.size,
          expires: this.opts.fetchExpiresMs,
        });
        this.pull = pull;
        // stop() may have come while the pull was being set up, when there was nothing to close.
        if (this.stopped) await pull.close();
        for await (const msg of pull) {
          // After a reconnect the client may re-pull a full batch: wait for a slot rather than overrun.
          await this.waitForSlot();
          // Not started: hand it back now rather than after ack_wait.
          if (this.stopped) msg.nak();
          else this.dispatch(msg);
        }
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        failures++;
        // Most failures (a server shutting down, a timeout while disconnected) just need
        // another pull; a durable that is gone (deleted, or the server lost its state) is
        // provisioned again.
        if (missingDurableOrStream(err)) consumer = null;
        const delay = backoffMs(failures, this.opts.retryBaseMs, this.opts.retryMaxMs);
        logger.warn({ err, consumer: durable, failures, retryInMs: delay }, 'pulling events failed; retrying');
        await this.halt.sleep(delay);
      } finally {
        this.pull = null;
      }
    }
  }

  private async waitForSlot(): Promise<void> {
    while (!this.stopped && this.inFlight.size >= this.opts.concurrency) await this.slotFreed.sleep(60_000);
  }

  private dispatch(msg: JsMsg): void {
    const running: Promise<void> = this.handle(msg)
      .catch((err: unknown) => {
        this.opts.logger.error({ err, consumer: this.opts.durable, streamSeq: msg.seq }, 'event delivery failed');
      })
      .finally(() => {
        this.inFlight.delete(running);
        this.slotFreed.wake();
      });
    this.inFlight.add(running);
  }

  private async handle(msg: JsMsg): Promise<void> {
    const { maxDeliver, ackWaitMs, logger, durable } = this.opts;
    const attempt = msg.info.deliveryCount;
    // A slow handler (or a slow dead-lettering) must not lose the message to ack_wait and get
    // it run a second time by another replica meanwhile.
    const keepAlive = setInterval(() => msg.working(), Math.max(Math.floor(ackWaitMs / 2), 50));
    try {
      let record: StoredEvent;
      try {
        record = decodeEvent(msg);
      } catch (err) {
        const eventId = msg.headers?.get('Nats-Msg-Id') || `stream-seq-${msg.seq}`;
        await this.giveUp(msg, { consumer: durable, eventId, attempts: 0, error: `malformed event: ${errorMessage(err)}` });
        return;
      }
      let event: DomainEvent;
      try {
        event = parseEvent(record);
      } catch (err) {
        logger.error({ err, consumer: durable, eventId: record.id, type: record.type }, 'malformed event dead-lettered');
        await this.giveUp(msg, { consumer: durable, eventId: record.id, attempts: 0, error: errorMessage(err) });
        return;
      }
      if (attempt > maxDeliver) {
        const error = 'the last handler attempt never reported back (ack wait expired)';
        await this.giveUp(msg, { consumer: durable, eventId: event.id, attempts: maxDeliver, error });
        return;
      }
      try {
        const delivery = {
          event, consumer: durable, service: this.opts.service, system: 'nats' as const, attempt,
          // MsgHdrs.get answers '' for a header that is not there.
          headerTraceparent: msg.headers?.get(TRACEPARENT_HEADER) || null,
        };
        await consumeEvent(delivery, () => this.opts.handler(event));
      } catch (err) {
        const context = { err, consumer: durable, eventId: event.id, type: event.type, attempt };
        if (attempt >= maxDeliver) {
          logger.error(context, 'event dead-lettered');
          await this.giveUp(msg, { consumer: durable, eventId: event.id, attempts: attempt, error: errorMessage(err) });
        } else {
          const delay = backoffMs(attempt, this.opts.retryBaseMs, this.opts.retryMaxMs);
          logger.warn({ ...context, retryInMs: delay }, 'event handler failed; redelivery later');
          msg.nak(delay);
        }
        return;
      }
      msg.ack();
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * Dead-letters and terminates the message, retrying while the ledger or NATS fail. On stop
   * it leaves the message unacknowledged: the spare delivery dead-letters it later.
   */
  private async giveUp(msg: JsMsg, letter: DeadLetter): Promise<void> {
    const { ledger, js, layout, publishTimeoutMs, logger } = this.opts;
    for (let tries = 1; ; tries++) {
      try {
        await deadLetter({ ledger, js, layout, publishTimeoutMs }, msg, letter);
        msg.term();
        countDeadLettered(letter.consumer);
        return;
      } catch (err) {
        if (this.stopped) {
          logger.error({ err, ...letter }, 'dead-lettering failed at stop; the event stays unacknowledged');
          return;
        }
        const delay = backoffMs(tries, this.opts.retryBaseMs, this.opts.retryMaxMs);
        logger.error({ err, ...letter, retryInMs: delay }, 'dead-lettering failed; retrying');
        await this.halt.sleep(delay);
      }
    }
  }
}

/** The client reports these only as messages ("consumer not found", "consumer deleted", "stream not found"). */
function missingDurableOrStream(err: unknown): boolean {
  return /\b(consumer (not found|deleted)|stream not found)\b/i.test(errorMessage(err));
}
