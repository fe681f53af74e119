// The distributed bus (docs/architecture.md §2, §5): NATS JetStream behind the EventBus interface.
//
// start() returns at once and sets up in the background — connect (retrying until NATS
// answers), create or update the streams, provision one durable per (subscription, event
// type), then run the consumer loops and the outbox relay. NATS being down at start or
// later is not an error the caller sees: the client reconnects forever, the relay keeps the
// rows in the outbox meanwhile and the consumers resume pulling. ready() resolves once the
// layout and every durable exist, for callers (and tests) that want to know.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { EventTypeName } from '@s3o/events';
import type { EventLogLedger } from '@s3o/store';
import { registerLagSource, type Logger } from '@s3o/telemetry';
import type { EventBus, Subscription } from '../types.js';
import { ConsumerWorker } from './consumer-worker.js';
import { natsLayout, type NatsLayout } from './layout.js';
import { provisionStreams } from './provision.js';
import { OutboxRelay } from './relay.js';
import { Alarm, backoffMs } from './wake.js';

export const DEFAULT_STREAM = 'S3O_EVENTS';
export const DEFAULT_SUBJECT_PREFIX = 's3o';

export interface NatsBusOptions {
  /** e.g. nats://127.0.0.1:4222; several for a cluster */
  url: string | string[];
  /** events stream; default S3O_EVENTS (the dead letters go to `<stream>_DEAD`) */
  stream?: string;
  /** first subject token; default s3o */
  subjectPrefix?: string;
  /** this process's service, e.g. cleanup: its replicas share its durables */
  service: string;
  /**
   * Handler attempts per event before it is dead-lettered. The durables' server-side
   * max_deliver is one more, a delivery reserved for dead-lettering (see consumer-worker.ts).
   */
  maxDeliver: number;
  /** the outbox the relay drains, and where dead events are recorded */
  ledger: EventLogLedger;
  logger: Logger;
  /** an unacknowledged delivery goes to another replica after this long; default 30 s (a running handler keeps extending it) */
  ackWaitMs?: number;
  /** the relay looks for rows this often without a notify(); default 1 s */
  relayIntervalMs?: number;
  /** rows per relay pass; default 500 */
  relayBatch?: number;
  /** run the outbox relay here (every process that writes events must); default true */
  relay?: boolean;
  /** handlers per durable running at once in this process; default 4 */
  concurrency?: number;
  /** first redelivery delay after a handler failure, doubling per attempt; default 500 ms */
  retryBaseMs?: number;
  /** cap of that delay; default 60 s */
  retryMaxMs?: number;
  /** stream max age; default 7 days */
  retentionMs?: number;
  /** how long the stream remembers event ids to drop re-published copies; default 2 min */
  duplicateWindowMs?: number;
  /** how long one pull waits on the server; default 10 s (at least 1 s) */
  fetchExpiresMs?: number;
  /** wait for a publish ack / JetStream API answer; default 5 s */
  publishTimeoutMs?: number;
  /** between reconnect attempts; default 1 s */
  reconnectWaitMs?: number;
}

type Resolved = Required<Omit<NatsBusOptions, 'url' | 'ledger' | 'logger'>>;

const DEFAULTS: Omit<Resolved, 'service' | 'maxDeliver'> = {
  stream: DEFAULT_STREAM,
  subjectPrefix: DEFAULT_SUBJECT_PREFIX,
  ackWaitMs: 30_000,
  relayIntervalMs: 1_000,
  relayBatch: 500,
  relay: true,
  concurrency: 4,
  retryBaseMs: 500,
  retryMaxMs: 60_000,
  retentionMs: 7 * 24 * 3600_000,
  duplicateWindowMs: 120_000,
  fetchExpiresMs: 10_000,
  publishTimeoutMs: 5_000,
  reconnectWaitMs: 1_000,
};

interface JetStreamClients {
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export class NatsBus implements EventBus {
  private readonly settings: Resolved;
  private readonly layout: NatsLayout;
  private readonly subscriptions: Array<{ durable: string; eventType: string; sub: Subscription }> = [];
  private readonly workers: ConsumerWorker[] = [];
  private relay: OutboxRelay | null = null;
  private nc: NatsConnection | null = null;
  /** set once the streams exist: workers can start */
  private clients: JetStreamClients | null = null;
  private connected = false;
  /** ends setup's retry waits on stop */
  private readonly halt = new Alarm();
  private setup: Promise<void> | null = null;
  /** a stream provisioning in progress, shared by whoever asks meanwhile */
  private provisioningStreams: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** removes this bus's consumers from s3o_bus_consumer_lag */
  private unregisterLag: (() => void) | null = null;
  /** stops listening to the ledger's eventsAppended */
  private stopListening: (() => void) | null = null;
  private readonly provisioned: Promise<void>;
  private settleProvisioned!: (err?: Error) => void;

  constructor(private readonly opts: NatsBusOptions) {
    const { url: _url, ledger: _ledger, logger: _logger, ...tuning } = opts;
    this.settings = { ...DEFAULTS, ...definedOnly(tuning), service: opts.service, maxDeliver: opts.maxDeliver };
    const s = this.settings;
    this.layout = natsLayout({ stream: s.stream, subjectPrefix: s.subjectPrefix, service: s.service });
    for (const [name, value] of Object.entries({ maxDeliver: s.maxDeliver, concurrency: s.concurrency, relayBatch: s.relayBatch })) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`NatsBus ${name} must be a positive integer, got ${value}`);
    }
    if (s.fetchExpiresMs < 1000) throw new Error('NatsBus fetchExpiresMs must be at least 1000');
    this.provisioned = new Promise<void>((resolve, reject) => {
      this.settleProvisioned = (err) => (err ? reject(err) : resolve());
    });
    // A bus stopped before it was ready rejects ready(); nobody has to be listening.
    this.provisioned.catch(() => undefined);
  }

  subscribe<T extends EventTypeName>(typed: Subscription<T>): void {
    if (this.stopping) throw new Error('the bus is stopped');
    // Each durable hands the handler only events of its type, checked against its schema.
    const sub = typed as unknown as Subscription;
    for (const eventType of new Set(sub.types)) {
      const durable = this.layout.durableName(sub.consumer, eventType);
      if (this.subscriptions.some((s) => s.durable === durable)) {
        throw new Error(`durable consumer ${durable} is subscribed twice (consumer ${sub.consumer}, type ${eventType})`);
      }
      const entry = { durable, eventType, sub };
      this.subscriptions.push(entry);
      if (this.clients) this.startWorker(this.clients, entry);
    }
  }

  notify(): void {
    this.relay?.notify();
  }

  start(): void {
    if (this.stopping) throw new Error('the bus is stopped');
    // A commit that appended events sends the relay at once (when this bus relays).
    if (this.settings.relay && !this.setup) this.stopListening = this.opts.ledger.eventsAppended.listen(() => this.notify());
    this.setup ??= this.connectAndRun();
  }

  /**
   * After start(): resolves when connected, with the streams and every durable subscribed so
   * far in place; rejects if the bus is stopped first.
   */
  async ready(): Promise<void> {
    await this.provisioned;
    await Promise.all(this.workers.map((w) => w.ready));
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Stops pulling and relaying, waits for handlers in flight, then drains the connection. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopListening?.();
    this.unregisterLag?.();
    this.halt.wake();
    await this.setup;
    this.settleProvisioned(new Error('the bus stopped before it was ready'));
    // Handlers first: events they append still reach the outbox, and some relay publishes them.
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.relay?.stop();
    const nc = this.nc;
    if (nc && !nc.isClosed()) {
      await nc.drain().catch((err: unknown) => this.opts.logger.warn({ err }, 'draining the NATS connection failed'));
    }
  }

  private async connectAndRun(): Promise<void> {
    const { logger } = this.opts;
    const s = this.settings;
    const nc = await this.untilDone('connecting to NATS', () =>
      connect({
        servers: this.opts.url,
        name: `${s.subjectPrefix}-${s.service}`,
        // Never give up: a NATS restart must not need a process restart.
        maxReconnectAttempts: -1,
        reconnectTimeWait: s.reconnectWaitMs,
        timeout: s.publishTimeoutMs,
      }),
    );
    if (!nc) return;
    this.nc = nc;
    this.connected = true;
    this.watchConnection(nc).catch((err: unknown) => logger.error({ err }, 'watching the NATS connection failed'));
    const clients = await this.untilDone('opening JetStream', async (): Promise<JetStreamClients> => ({
      js: jetstream(nc, { timeout: s.publishTimeoutMs }),
      jsm: await jetstreamManager(nc, { timeout: s.publishTimeoutMs }),
    }));
    if (!clients) return;
    const streamsReady = await this.untilDone('creating the event streams', async () => {
      await this.provisionStreams(clients.jsm);
      return true;
    });
    if (!streamsReady) return;
    this.clients = clients;
    for (const entry of this.subscriptions) this.startWorker(clients, entry);
    if (s.relay) {
      this.relay = new OutboxRelay({
        ledger: this.opts.ledger,
        js: clients.js,
        layout: this.layout,
        logger,
        intervalMs: s.relayIntervalMs,
        batch: s.relayBatch,
        publishTimeoutMs: s.publishTimeoutMs,
        retryBaseMs: s.retryBaseMs,
        isConnected: () => this.connected,
        provisionStreams: () => this.provisionStreams(clients.jsm),
      });
      this.relay.start();
    }
    this.settleProvisioned();
    this.unregisterLag = registerLagSource(() => this.consumerLag(clients.jsm));
    logger.info({ stream: this.layout.stream, durables: this.subscriptions.map((e) => e.durable) }, 'NATS event bus started');
  }

  private startWorker(clients: JetStreamClients, entry: { durable: string; eventType: string; sub: Subscription }): void {
    const s = this.settings;
    const worker = new ConsumerWorker({
      js: clients.js,
      jsm: clients.jsm,
      ledger: this.opts.ledger,
      layout: this.layout,
      logger: this.opts.logger,
      durable: entry.durable,
      eventType: entry.eventType,
      handler: entry.sub.handler,
      service: entry.sub.service ?? s.service,
      provisionStreams: () => this.provisionStreams(clients.jsm),
      maxDeliver: s.maxDeliver,
      ackWaitMs: s.ackWaitMs,
      concurrency: s.concurrency,
      fetchExpiresMs: s.fetchExpiresMs,
      retryBaseMs: s.retryBaseMs,
      retryMaxMs: s.retryMaxMs,
      publishTimeoutMs: s.publishTimeoutMs,
    });
    this.workers.push(worker);
    worker.start();
  }

  private provisionStreams(jsm: JetStreamManager): Promise<void> {
    const { retentionMs, duplicateWindowMs } = this.settings;
    this.provisioningStreams ??= provisionStreams(jsm, this.layout, { retentionMs, duplicateWindowMs }).finally(() => {
      this.provisioningStreams = null;
    });
    return this.provisioningStreams;
  }

  /** Per durable of this process: messages not yet delivered plus those delivered and not acknowledged. */
  private async consumerLag(jsm: JetStreamManager): Promise<Array<{ consumer: string; lag: number }>> {
    if (!this.connected) return [];
    return Promise.all(this.subscriptions.map(async ({ durable }) => {
      const info = await jsm.consumers.info(this.layout.stream, durable);
      return { consumer: durable, lag: info.num_pending + info.num_ack_pending };
    }));
  }

  /** The relay claims rows only while connected; a reconnect sends it at once. */
  private async watchConnection(nc: NatsConnection): Promise<void> {
    const { logger } = this.opts;
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.relay?.disconnected();
        logger.warn({ server: status.server }, 'NATS connection lost; reconnecting');
      } else if (status.type === 'reconnect') {
        this.connected = true;
        logger.info({ server: status.server }, 'NATS connection back');
        this.relay?.reconnected();
      }
    }
  }

  /** Retries `step` with backoff until it succeeds (its result) or the bus stops (undefined). */
  private async untilDone<T>(what: string, step: () => Promise<T>): Promise<T | undefined> {
    for (let failures = 1; !this.stopping; failures++) {
      try {
        return await step();
      } catch (err) {
        if (this.stopping) break;
        const delay = backoffMs(failures, this.settings.retryBaseMs, this.settings.retryMaxMs);
        this.opts.logger.warn({ err, failures, retryInMs: delay }, `${what} failed; retrying`);
        await this.halt.sleep(delay);
      }
    }
    return undefined;
  }
}

/** Options left `undefined` keep their defaults. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
