// The orchestrator in distributed mode, as child processes over Postgres and NATS
// JetStream: two gateways and one or more of every other service, all reading one config
// file that points at the run's own database, stream and subject prefix.
import type pg from 'pg';
import { ServiceProcess, type ServiceVerb } from './service-process.js';
import {
  PrivateNatsServer,
  consumerProgress,
  deleteAbandonedStreams,
  deleteRunStreams,
  requireJetStream,
  runNatsNames,
  streamMessageCount,
  testNatsUrl,
} from './nats-run.js';
import type { ConsumerProgress, NatsNames } from './nats-run.js';
import type { RunDatabase } from './run-database.js';

export type NatsChoice =
  /** The server at S3O_TEST_NATS_URL, under the run's own stream and subject prefix. */
  | 'shared'
  /** A nats-server of the run's own, which a test may stop and start again. */
  | 'private';

/** NATS as one distributed run uses it. */
export interface RunNats {
  url: string;
  names: NatsNames;
  /** The private server (options.nats: 'private'); null on the shared one, which tests must not stop. */
  server: PrivateNatsServer | null;
  /** The run's durable consumers and how far each is. */
  consumers(): Promise<ConsumerProgress[]>;
  /** Messages in the run's events stream. */
  streamMessages(): Promise<number>;
}

/** What a test of distributed mode can reach beyond the S3 API. */
export interface DistributedControls {
  /** Every service process, in start order: gateway-1, gateway-2, placement-1, cleanup-1…, usage-1, notifier-1. */
  processes: ServiceProcess[];
  /** The processes of one service. */
  service(verb: ServiceVerb): ServiceProcess[];
  /** A pool on the run's Postgres database: the ledger every service shares. */
  ledger: pg.Pool;
  database: string;
  /** How the services reach that database (host, port, user, password, name). */
  databaseSettings: RunDatabase['settings'];
  nats: RunNats;
}

export interface ClusterOptions {
  configPath: string;
  cleanupReplicas: number;
  notifierReplicas?: number;
  echoLogs: boolean;
}

/** The NATS side is set up before the config file is written: the file names its URL and names. */
export async function prepareNats(choice: NatsChoice, storeDir: string): Promise<RunNats & { release(): Promise<void> }> {
  const names = runNatsNames();
  if (choice === 'private') {
    const server = await PrivateNatsServer.start(storeDir);
    return {
      url: server.url,
      names,
      server,
      consumers: () => consumerProgress(server.url, names),
      streamMessages: () => streamMessageCount(server.url, names),
      // Its store directory goes with the run's temporary directory.
      release: () => server.stop(),
    };
  }
  const url = testNatsUrl();
  await requireJetStream(url);
  await deleteAbandonedStreams(url);
  return {
    url,
    names,
    server: null,
    consumers: () => consumerProgress(url, names),
    streamMessages: () => streamMessageCount(url, names),
    release: () => deleteRunStreams(url, names),
  };
}

/** The processes of one run, in the order they are listed (and stopped in reverse). */
export function planProcesses(options: ClusterOptions): ServiceProcess[] {
  const plan: Array<[ServiceVerb, number]> = [
    ['gateway', 2],
    ['placement', 1],
    ['cleanup', options.cleanupReplicas],
    ['usage', 1],
    ['notifier', options.notifierReplicas ?? 1],
  ];
  return plan.flatMap(([verb, count]) =>
    Array.from({ length: count }, (_, i) => new ServiceProcess({ name: `${verb}-${i + 1}`, verb, configPath: options.configPath, echoLogs: options.echoLogs })),
  );
}

/**
 * Starts every process at once (as an orchestrator would; the ledger's migrations take a
 * lock for exactly this) and resolves when all are ready.
 */
export async function startProcesses(processes: ServiceProcess[]): Promise<void> {
  const results = await Promise.allSettled(processes.map((p) => p.start()));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (failures.length > 0) throw new Error(`distributed system did not start:\n  ${failures.join('\n  ')}`);
}

/** Stops the gateways first (no new work), then the rest; every process is tried. */
export async function stopProcesses(processes: ServiceProcess[]): Promise<void> {
  await Promise.allSettled(processes.filter((p) => p.verb === 'gateway').map((p) => p.stop()));
  await Promise.allSettled(processes.filter((p) => p.verb !== 'gateway').map((p) => p.stop()));
}

export function distributedControls(processes: ServiceProcess[], database: RunDatabase, nats: RunNats): DistributedControls {
  return {
    processes,
    service: (verb) => processes.filter((p) => p.verb === verb),
    ledger: database.pool,
    database: database.name,
    databaseSettings: database.settings,
    nats: { url: nats.url, names: nats.names, server: nats.server, consumers: nats.consumers, streamMessages: nats.streamMessages },
  };
}
