// The NATS side of one distributed test run: its own stream and subject prefix on the
// shared server (S3O_TEST_NATS_URL), or a private nats-server a test may stop and start
// again; and what a test needs to see there (are all events in the stream, have the
// durable consumers worked through them).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiError, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { mentionsAddressInUse, portOutsideEphemeralRange, retryWhileAddressInUse } from '@s3o/demo-backends';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** JetStream's "stream not found". */
const STREAM_NOT_FOUND = 10059;
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export function testNatsUrl(): string {
  return process.env.S3O_TEST_NATS_URL || DEFAULT_NATS_URL;
}

/** The run's own names on the server, so parallel runs (and production) never meet. */
export interface NatsNames {
  stream: string;
  deadStream: string;
  subjectPrefix: string;
}

const STREAM_PREFIX = 'S3O_E2E_';
/** No test file runs this long: a run's stream this old was left by a run that was killed. */
const ABANDONED_AFTER_MS = 3600_000;

export function runNatsNames(): NatsNames {
  const id = randomBytes(6).toString('hex');
  const stream = `${STREAM_PREFIX}${id}`;
  return { stream, deadStream: `${stream}_DEAD`, subjectPrefix: `e2e_${id}` };
}

/** How far one durable consumer is: messages not yet delivered, and delivered but not acknowledged. */
export interface ConsumerProgress {
  name: string;
  filterSubject: string | undefined;
  pending: number;
  ackPending: number;
  redelivered: number;
}

/** Runs `work` on a fresh JetStream manager connection, closed afterwards. */
export async function withJetStream<T>(url: string, work: (jsm: JetStreamManager) => Promise<T>): Promise<T> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url, timeout: 5_000, maxReconnectAttempts: 0 });
  } catch (err) {
    throw new Error(
      `NATS is not reachable at ${url} (S3O_TEST_NATS_URL; default ${DEFAULT_NATS_URL}): ${(err as Error).message}. ` +
        'Distributed-mode e2e tests need a nats-server with JetStream (-js): run infra/ensure-services.sh (npm test does).',
    );
  }
  try {
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(nc, { timeout: 5_000 });
    } catch (err) {
      throw new Error(`the NATS server at ${url} has no JetStream (start it with -js): ${(err as Error).message}`);
    }
    return await work(jsm);
  } finally {
    await nc.close();
  }
}

/** Fails with a clear message unless a JetStream-enabled server answers at `url`. */
export async function requireJetStream(url: string): Promise<void> {
  await withJetStream(url, async (jsm) => {
    await jsm.getAccountInfo();
  });
}

/** Deletes the run's streams; their consumers go with them. Absent streams are fine. */
export async function deleteRunStreams(url: string, names: NatsNames): Promise<void> {
  await withJetStream(url, async (jsm) => {
    // KV_<prefix>-usage: the run's usage totals bucket (shared/bus/src/nats/usage-kv.ts).
    for (const stream of [names.stream, names.deadStream, `KV_${names.subjectPrefix}-usage`]) {
      try {
        await jsm.streams.delete(stream);
      } catch (err) {
        if (!(err instanceof JetStreamApiError && err.code === STREAM_NOT_FOUND)) throw err;
      }
    }
  });
}

/** Deletes test runs' streams (and so their consumers) created long ago by runs that never cleaned up. */
export async function deleteAbandonedStreams(url: string): Promise<void> {
  await withJetStream(url, async (jsm) => {
    const abandoned: string[] = [];
    for await (const info of jsm.streams.list()) {
      const ours = info.config.name.startsWith(STREAM_PREFIX) || info.config.name.startsWith('KV_e2e_');
      if (ours && Date.now() - Date.parse(info.created) > ABANDONED_AFTER_MS) abandoned.push(info.config.name);
    }
    for (const stream of abandoned) {
      // Another run may be sweeping the same leftover at the same moment.
      await jsm.streams.delete(stream).catch(() => undefined);
    }
  });
}

/** Every durable consumer of the run's events stream, with how far it is. */
export async function consumerProgress(url: string, names: NatsNames): Promise<ConsumerProgress[]> {
  return withJetStream(url, async (jsm) => {
    const found: ConsumerProgress[] = [];
    for await (const info of jsm.consumers.list(names.stream)) {
      found.push({
        name: info.name,
        filterSubject: info.config.filter_subject,
        pending: info.num_pending,
        ackPending: info.num_ack_pending,
        redelivered: info.num_redelivered,
      });
    }
    return found.sort((a, b) => a.name.localeCompare(b.name));
  });
}

/** How many messages the run's events stream holds (each event once: the relay publishes with Nats-Msg-Id). */
export async function streamMessageCount(url: string, names: NatsNames): Promise<number> {
  return withJetStream(url, async (jsm) => (await jsm.streams.info(names.stream)).state.messages);
}

/**
 * A nats-server of the test's own (`nats-server -a 127.0.0.1 -p <port> -js -sd <dir>`), so a
 * test can make NATS unavailable without touching the shared server. It keeps its port and
 * store directory across stop() and start(): the services reconnect to the same URL and
 * find their streams and durables again. The port lies outside the kernel's ephemeral range,
 * so no other process is handed it while the server is down; a start that still finds it
 * taken waits and tries again (a first start takes another port).
 */
export class PrivateNatsServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  static async start(storeDir: string): Promise<PrivateNatsServer> {
    return retryWhileAddressInUse(async () => {
      const server = new PrivateNatsServer(await portOutsideEphemeralRange(), storeDir);
      await server.startOnce();
      return server;
    }, mentionsAddressInUse);
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server again on its port and resolves once it accepts clients with JetStream on. */
  async start(): Promise<void> {
    await retryWhileAddressInUse(() => this.startOnce(), mentionsAddressInUse);
  }

  private async startOnce(): Promise<void> {
    if (this.running) throw new Error('the private nats-server is already running');
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const onOutput = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-8192);
        // nats-server logs this once it listens, with JetStream (when enabled) already up.
        if (output.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onOutput);
      child.stderr!.on('data', onOutput);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`could not run nats-server (is it installed? infra/ensure-services.sh installs it): ${err.message}`));
      });
      // 'close', not 'exit': by then its last words (e.g. "address already in use") are read.
      child.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with code ${code}`));
      });
    });
    try {
      await ready;
    } catch (err) {
      await this.stop();
      throw new Error(`private nats-server on port ${this.port}: ${(err as Error).message}; output: ${output.trim().slice(-2000)}`);
    }
    // Keep draining its output so it never blocks on a full pipe.
    child.stdout!.resume();
    child.stderr!.resume();
    await requireJetStream(this.url);
  }

  /** Stops the server (SIGTERM: JetStream flushes its store), SIGKILL after a grace period. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), sleep(STOP_GRACE_MS).then(() => 'hung' as const)]);
    if (outcome === 'hung') {
      child.kill('SIGKILL');
      await this.exited;
    }
  }
}
