// What the NATS bus tests and the measure script share: the NATS server to test against,
// an isolated layout per run (own stream, subject prefix and durables, removed at the end),
// a real SQLite ledger as the outbox, and a private nats-server that a test may stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { mentionsAddressInUse, portOutsideEphemeralRange, retryWhileAddressInUse } from '@s3o/demo-backends';
import { NO_REQUEST, objectCreated, objectRemoved, type DomainEvent } from '@s3o/events';
import { openLedger, type Ledger, type StoredEvent } from '@s3o/store';
import { silentLogger } from '@s3o/telemetry';
import { NatsBus, type NatsBusOptions } from '../src/index.js';

export const NATS_URL_VARIABLE = 'S3O_TEST_NATS_URL';
export const natsUrl = process.env[NATS_URL_VARIABLE] ?? 'nats://127.0.0.1:4222';

/** Connects for test administration, or fails naming the variable that points at NATS. */
export async function adminConnection(url = natsUrl): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  let nc: NatsConnection;
  try {
    // The first connect fails at once when nobody listens; later, follow a test's server restarts.
    nc = await connect({ servers: url, timeout: 3000, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  } catch (err) {
    throw new Error(
      `NATS JetStream is not reachable at ${url} (${(err as Error).message}); start it or set ${NATS_URL_VARIABLE}`,
    );
  }
  try {
    return { nc, jsm: await jetstreamManager(nc) };
  } catch (err) {
    await nc.close();
    throw new Error(`NATS at ${url} has no JetStream (${(err as Error).message}); set ${NATS_URL_VARIABLE} to one that has`);
  }
}

export interface BusRun {
  ledger: Ledger;
  dbPath: string;
  dir: string;
  stream: string;
  prefix: string;
  jsm: JetStreamManager;
  /** a bus on this run's layout and ledger; stopped by cleanup() */
  bus(overrides: Partial<NatsBusOptions> & { service: string }): NatsBus;
  /** rows of dead_events, read behind the ledger's back */
  deadEvents(): Array<{ consumer: string; event_id: string; attempts: number; last_error: string }>;
  cleanup(): Promise<void>;
}

/** A run with its own stream `S3O_T_<random>`, prefix `t<random>` and ledger file. */
export async function openBusRun(url = natsUrl): Promise<BusRun> {
  const admin = await adminConnection(url);
  const tag = randomBytes(4).toString('hex');
  const stream = `S3O_T_${tag}`;
  const prefix = `t${tag}`;
  const dir = await mkdtemp(join(tmpdir(), 's3o-bus-'));
  const dbPath = join(dir, 'ledger.db');
  const ledger = await openLedger({ driver: 'sqlite', path: dbPath, source: `bus-test@${tag}` });
  const buses: NatsBus[] = [];
  return {
    ledger,
    dbPath,
    dir,
    stream,
    prefix,
    jsm: admin.jsm,
    bus(overrides) {
      const bus = new NatsBus({
        url,
        stream,
        subjectPrefix: prefix,
        maxDeliver: 3,
        ledger,
        logger: silentLogger(),
        ackWaitMs: 5_000,
        relayIntervalMs: 200,
        retryBaseMs: 50,
        retryMaxMs: 1_000,
        fetchExpiresMs: 2_000,
        publishTimeoutMs: 2_000,
        reconnectWaitMs: 100,
        ...overrides,
      });
      buses.push(bus);
      return bus;
    },
    deadEvents() {
      const db = new Database(dbPath, { readonly: true });
      try {
        return db.prepare('SELECT consumer, event_id, attempts, last_error FROM dead_events ORDER BY at').all() as Array<{
          consumer: string; event_id: string; attempts: number; last_error: string;
        }>;
      } finally {
        db.close();
      }
    },
    async cleanup() {
      await Promise.allSettled(buses.map((b) => b.stop()));
      for (const name of [stream, `${stream}_DEAD`]) await admin.jsm.streams.delete(name).catch(() => undefined);
      await admin.nc.close();
      await ledger.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What a test asks of the n-th event it appends. */
export interface EventShape {
  /** default object.created */
  type?: 'object.created' | 'object.removed';
  traceparent?: string | null;
  /** an object.created's etag (default `etag`): a mark a handler can act on */
  mark?: string;
}

/**
 * Appends `count` events, one transaction each, as producers build them (the bus checks them
 * against their schemas): the n-th is of key `bk/key-<n>`, an object.created of n bytes.
 */
export async function appendEvents(
  ledger: Ledger,
  count: number,
  make: (n: number) => EventShape = () => ({}),
  from = 0,
): Promise<void> {
  for (let n = from; n < from + count; n++) {
    const { type = 'object.created', traceparent, mark = 'etag' } = make(n);
    const objectKey = `bk/key-${n}`;
    const event = type === 'object.removed'
      ? objectRemoved('Delete', objectKey, [], NO_REQUEST)
      : objectCreated('Put', { object: { objectKey, size: n, etag: mark, contentType: 'text/plain' }, copies: [], displaced: [] }, NO_REQUEST);
    await ledger.appendEvents([{ ...event, traceparent }]);
  }
}

export async function allEvents(ledger: Ledger): Promise<StoredEvent[]> {
  return ledger.readEventsAfter(0, 1_000_000);
}

/** Polls until `done()`; a generous limit turns a hang into a failure naming what never happened. */
export async function waitFor(what: string, done: () => boolean | Promise<boolean>, limitMs = 30_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await delay(20);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Counts deliveries per event id. */
export class Deliveries {
  readonly counts = new Map<string, number>();
  readonly events = new Map<string, DomainEvent>();

  record(event: DomainEvent): void {
    this.counts.set(event.id, (this.counts.get(event.id) ?? 0) + 1);
    this.events.set(event.id, event);
  }

  get distinct(): number {
    return this.counts.size;
  }

  duplicates(): string[] {
    return [...this.counts].filter(([, n]) => n > 1).map(([id]) => id);
  }
}

/**
 * A nats-server of our own, with its own store directory, that a test may stop and start.
 * Its port lies outside the kernel's ephemeral range, so no other process is handed it
 * while the server is down; a start that finds it still taken waits and tries again.
 */
export class PrivateNats {
  private child: ChildProcess | null = null;
  private log = '';

  private constructor(readonly port: number, readonly storeDir: string) {}

  static async create(storeDir: string): Promise<PrivateNats> {
    return new PrivateNats(await portOutsideEphemeralRange(), storeDir);
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts on this port; another `storeDir` makes a server that lost its data. */
  async start(storeDir = this.storeDir): Promise<void> {
    await retryWhileAddressInUse(() => this.startOnce(storeDir), mentionsAddressInUse);
  }

  private async startOnce(storeDir: string): Promise<void> {
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    this.log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not get ready:\n${this.log}`)), 60_000);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run nats-server (is it installed?): ${err.message}`));
      });
      // 'close', not 'exit': by then its last words (e.g. "address already in use") are read.
      child.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${this.log}`));
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        this.log += chunk.toString();
        if (this.log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  /** SIGTERM, and wait until the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

