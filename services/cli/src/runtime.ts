// Turning configuration into the shared pieces every service process needs: the ledger
// on the configured engine and the event bus on the configured driver.
import type { Config } from '@s3o/config';
import { openLedger, type Ledger } from '@s3o/store';
import { InProcessBus, NatsBus, type EventBus } from '@s3o/bus';
import { activeTraceparent, backendTelemetry, counter, gauge, traceCalls, type Logger } from '@s3o/telemetry';
import { BackendAvailability, BackendBreakers, createBackendClients, type BackendClient } from '@s3o/backends';

/**
 * One client per backend, the availability every feature that takes backends out of use
 * registers with, and (when `backend_circuit_breaker.enabled`) the process's breakers,
 * already registered as a gate. Stop the breakers with the clients.
 */
export function createBackends(config: Config): { backends: Map<string, BackendClient>; availability: BackendAvailability; breakers: BackendBreakers | null } {
  const backends = createBackendClients(config.backends.map((b) => ({ ...b, timeoutMs: config.server.backendTimeoutMs })));
  // Metrics of every call, and a span for each call made inside a trace.
  const telemetry = backendTelemetry();
  for (const client of backends.values()) client.observe(telemetry);
  const availability = new BackendAvailability();
  const settings = config.backendCircuitBreaker;
  const breakers = settings.enabled ? new BackendBreakers(backends, settings) : null;
  if (breakers) {
    availability.addGate(breakers);
    exportBreakerStates(breakers);
  }
  return { backends, availability, breakers };
}

// Upstream's series: every process reports its own breakers (a gateway's view may differ
// from the placement service's, which is the cluster's view announced as events).
const breakerState = gauge({
  name: 's3o_circuit_breaker_state',
  help: 'Backend circuit breaker of this process: 0 closed, 1 open',
  labelNames: ['name'],
});
const breakerTransitions = counter({
  name: 's3o_circuit_breaker_transitions_total',
  help: 'Backend circuit breaker state changes in this process',
  labelNames: ['name', 'from', 'to'],
});

function exportBreakerStates(breakers: BackendBreakers): void {
  for (const { backend, state } of breakers.states()) breakerState.set({ name: backend }, state === 'open' ? 1 : 0);
  breakers.onChange((change) => {
    breakerState.set({ name: change.backend }, change.state === 'open' ? 1 : 0);
    breakerTransitions.inc({ name: change.backend, from: change.state === 'open' ? 'closed' : 'open', to: change.state });
  });
}

/**
 * The ledger on the configured engine. Inside a trace, each of its operations (one
 * transaction or one read) is a span, and the events it appends carry the caller's
 * traceparent, so consumers continue the trace.
 */
export async function openConfiguredLedger(config: Config, source: string): Promise<Ledger> {
  const db = config.database;
  const traced = (ledger: Ledger): Ledger =>
    traceCalls(ledger, { prefix: 'ledger', attributes: { 'db.system.name': db.driver === 'sqlite' ? 'sqlite' : 'postgresql' } });
  if (db.driver === 'sqlite') return traced(await openLedger({ driver: 'sqlite', path: db.path, source, traceparent: activeTraceparent }));
  return traced(await openLedger({
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
    statementCacheSize: db.statementCacheSize,
    // Names the process on each of its sessions (pg_stat_activity, the server's log): which
    // service on which host holds a lock or runs a slow statement (Postgres keeps 63 bytes).
    applicationName: `s3o ${source}`,
    source,
    traceparent: activeTraceparent,
  }));
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
