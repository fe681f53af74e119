// `s3-orchestrator <service> --config FILE`: one service in its own process, for the
// distributed mode (docker compose: each service its own container, scaled on its own).
// Every process runs the outbox relay, since every process may append events.
import { hostname } from 'node:os';
import type { Config } from '@s3o/config';
import { startHealthServer, type Logger } from '@s3o/telemetry';
import { ProcessAdmission } from '@s3o/backends';
import { createProcessUsage } from '@s3o/usage';
import { createBackends, createServiceBus, openConfiguredLedger } from './runtime.js';
import { startService, type ServiceName } from './services.js';
import { startGatewayMetrics, type GatewayMetrics } from './observability.js';
import { reloadTlsOnSighup } from '@s3o/gateway';
import { processIdOf, startHeartbeat, startJobRequests } from '@s3o/workers';
import { processIdentity } from './process-identity.js';
import { ConfigReloader } from './reload.js';

export interface RunningService {
  /** the gateway's S3 URL, or the health endpoint's URL for the other services */
  url: string;
  stop(): Promise<void>;
}

export async function runService(
  name: ServiceName, config: Config, logger: Logger, healthListen: { host: string; port: number }, options: { configPath?: string } = {},
): Promise<RunningService> {
  const source = `${name}@${hostname()}:${process.pid}`;
  const ledger = await openConfiguredLedger(config, source);
  if (name === 'gateway') await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
  const { backends, availability, breakers } = createBackends(config);
  const usage = createProcessUsage(config, backends, availability, logger.child({ component: 'usage-meter' }));
  const admission = new ProcessAdmission(config.server);
  const bus = createServiceBus(config, { ledger, logger: logger.child({ component: 'bus' }), service: name, relay: true });
  const identity = processIdentity(name);
  // SIGHUP and the admin API re-read the file the process was started with (reload.ts).
  const reloader = options.configPath ? new ConfigReloader(options.configPath, config, { ledger, usage, logger }) : undefined;
  const onHangup = () => void reloader?.reload('SIGHUP');
  if (reloader) process.on('SIGHUP', onHangup);
  const service = startService(name, {
    config, configPath: options.configPath, ledger, backends, availability, breakers, usage, admission, bus, logger, identity, reloader,
  });
  bus.start();
  await usage.start({ ledger });

  let ready = false;
  let stopping: Promise<void> | null = null;
  let url: string;
  let closeHealth = async (): Promise<void> => {};
  let gatewayMetrics: GatewayMetrics | null = null;
  let stopTlsReload = (): void => {};
  if (service.gateway) {
    gatewayMetrics = await startGatewayMetrics(config, ledger);
    url = await service.gateway.app.listen({ host: config.server.host, port: config.server.port });
    // The gateway takes requests without NATS (the outbox keeps the events): ready at once.
    service.gateway.ready = true;
    stopTlsReload = reloadTlsOnSighup(service.gateway, config, logger);
  } else {
    const { metrics } = config.telemetry;
    const health = await startHealthServer(
      healthListen.host,
      healthListen.port,
      { ready: () => ready, status: () => (bus.isConnected() ? 'ok' : 'degraded') },
      { metricsPath: metrics.enabled ? metrics.path : null, bearerToken: metrics.bearerToken },
    );
    url = health.url;
    closeHealth = health.close;
    // A consumer is ready once its bus can deliver (NATS: connected, streams and durables in place).
    bus.ready().then(() => {
      if (!stopping) ready = true;
    }, () => undefined);
  }
  const heartbeat = startHeartbeat({ ledger, identity, logger: logger.child({ component: 'heartbeat' }) });
  // Passes an operator asked a gateway for, of the jobs this process runs (POST /admin/api/jobs/{job}/run).
  const jobRequests = startJobRequests({
    ledger, processId: processIdOf(identity), logger: logger.child({ component: 'job-requests' }),
    reload: reloader && (() => reloader.reload('admin reload --all')),
  });
  logger.info({ service: name, url, ...(gatewayMetrics?.url ? { metricsUrl: gatewayMetrics.url } : {}) }, `${name} running`);


  return {
    url,
    stop: () => {
      stopping ??= (async () => {
        ready = false;
        stopTlsReload();
        process.off('SIGHUP', onHangup);
        if (service.gateway) service.gateway.ready = false;
        if (config.server.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.server.shutdownDelayMs));
        // The gateway finishes its requests; then the bus finishes handlers in flight.
        if (service.gateway) await service.stop();
        await bus.stop();
        if (!service.gateway) await service.stop();
        // Whatever the meter still holds goes to the outbox (relayed and folded after a restart if not now).
        await usage.stop();
        await jobRequests.stop();
        await heartbeat.stop();
        breakers?.stop();
        for (const client of backends.values()) client.close();
        await gatewayMetrics?.stop();
        await ledger.close();
        await closeHealth();
      })();
      return stopping;
    },
  };
}
