// Turning configuration into the shared pieces every service process needs: the ledger
// on the configured engine and the event bus on the configured driver.
import type { Config } from '@s3o/config';
import { openLedger, type Ledger } from '@s3o/store';
import { InProcessBus, NatsBus, type EventBus } from '@s3o/bus';
import type { Logger } from '@s3o/telemetry';
import { BackendAvailability, createBackendClients, type BackendClient } from '@s3o/backends';

/** One client per backend and the availability every feature that takes backends out of use registers with. */
export function createBackends(config: Config): { backends: Map<string, BackendClient>; availability: BackendAvailability } {
  const backends = createBackendClients(config.backends.map((b) => ({ ...b, timeoutMs: config.server.backendTimeoutMs })));
  return { backends, availability: new BackendAvailability() };
}

export async function openConfiguredLedger(config: Config, source: string): Promise<Ledger> {
  const db = config.database;
  if (db.driver === 'sqlite') return openLedger({ driver: 'sqlite', path: db.path, source });
  return openLedger({
    driver: 'postgres',
    host: db.host ?? '127.0.0.1',
    port: db.port,
    user: db.user ?? 'postgres',
    password: db.password ?? undefined,
    name: db.name ?? 's3o',
    sslMode: db.sslMode,
    maxConns: db.maxConns,
    minConns: db.minConns,
    maxConnLifetimeMs: db.maxConnLifetimeMs,
    source,
  });
}

/**
 * The bus of one service. In-process: one bus for the whole process (only with SQLite,
 * which config validation enforces). NATS: one bus per service, so each service's
 * durable consumers are shared with its replicas in other processes; `relay` says
 * whether this bus also drains the outbox (one per process is enough).
 */
export function createServiceBus(config: Config, deps: { ledger: Ledger; logger: Logger; service: string; relay: boolean }): EventBus {
  const bus = config.bus;
  if (bus.driver === 'memory') {
    return new InProcessBus({ ledger: deps.ledger, logger: deps.logger, maxDeliver: bus.maxDeliver, pollIntervalMs: bus.pollIntervalMs });
  }
  return new NatsBus({
    url: bus.url.split(',').map((u) => u.trim()).filter((u) => u !== ''),
    stream: bus.stream,
    subjectPrefix: bus.subjectPrefix,
    service: deps.service,
    maxDeliver: bus.maxDeliver,
    ledger: deps.ledger,
    logger: deps.logger,
    relay: deps.relay,
    relayIntervalMs: bus.pollIntervalMs,
    retentionMs: bus.retentionMs,
  });
}
