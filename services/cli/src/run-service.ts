// `s3-orchestrator <service> --config FILE`: one service in its own process, for the
// distributed mode (docker compose: each service its own container, scaled on its own).
// Every process runs the outbox relay, since every process may append events.
import { hostname } from 'node:os';
import type { Config } from '@s3o/config';
import { startHealthServer, type Logger } from '@s3o/telemetry';
import { createBackends, createServiceBus, openConfiguredLedger } from './runtime.js';
import { startService, type ServiceName } from './services.js';

export interface RunningService {
  /** the gateway's S3 URL, or the health endpoint's URL for the other services */
  url: string;
  stop(): Promise<void>;
}

export async function runService(name: ServiceName, config: Config, logger: Logger, healthListen: { host: string; port: number }): Promise<RunningService> {
  const source = `${name}@${hostname()}:${process.pid}`;
  const ledger = await openConfiguredLedger(config, source);
  if (name === 'gateway') await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
  const { backends, availability } = createBackends(config);
  const bus = createServiceBus(config, { ledger, logger: logger.child({ component: 'bus' }), service: name, relay: true });
  const service = startService(name, { config, ledger, backends, availability, bus, logger });
  bus.start();

  let ready = false;
  let url: string;
  let closeHealth = async (): Promise<void> => {};
  if (service.gateway) {
    url = await service.gateway.app.listen({ host: config.server.host, port: config.server.port });
    service.gateway.ready = true;
  } else {
    const health = await startHealthServer(healthListen.host, healthListen.port, { ready: () => ready, status: () => 'ok' });
    url = health.url;
    closeHealth = health.close;
  }
  ready = true;
  logger.info({ service: name, url }, `${name} running`);

  let stopping: Promise<void> | null = null;
  return {
    url,
    stop: () => {
      stopping ??= (async () => {
        ready = false;
        if (service.gateway) service.gateway.ready = false;
        if (config.server.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.server.shutdownDelayMs));
        // The gateway finishes its requests; then the bus finishes handlers in flight.
        if (service.gateway) await service.stop();
        await bus.stop();
        if (!service.gateway) await service.stop();
        for (const client of backends.values()) client.close();
        await ledger.close();
        await closeHealth();
      })();
      return stopping;
    },
  };
}
