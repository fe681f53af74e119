// `serve`: every service in one process (docs/architecture.md §2) — the single-process mode over
// SQLite and the in-process bus, or, with a Postgres + NATS config, the five services
// sharing one process and its pools.
import { hostname } from 'node:os';
import type { Config } from '@s3o/config';
import type { EventBus } from '@s3o/bus';
import type { Logger } from '@s3o/telemetry';
import { ProcessAdmission } from '@s3o/backends';
import { createProcessUsage } from '@s3o/usage';
import { createBackends, createServiceBus, openConfiguredLedger } from './runtime.js';
import { SERVICE_NAMES, startService, type StartedService } from './services.js';
import { startGatewayMetrics } from './observability.js';
import { reloadTlsOnSighup } from '@s3o/gateway';
import { processIdOf, startHeartbeat, startJobRequests } from '@s3o/workers';
import { processIdentity } from './process-identity.js';
import { ConfigReloader } from './reload.js';

export interface RunningOrchestrator {
  /** the bound address, e.g. http://127.0.0.1:9000 */
  url: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /**
   * the file `config` was read from: SIGHUP and the admin API re-read it (none: no reload),
   * and the admin API names it when refusing to change one of its entries
   */
  configPath?: string;
}

export async function serve(config: Config, logger: Logger, options: ServeOptions = {}): Promise<RunningOrchestrator> {
  const source = `s3o@${hostname()}:${process.pid}`;
  const ledger = await openConfiguredLedger(config, source);
  await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
  const { backends, availability, breakers } = createBackends(config);
  const usage = createProcessUsage(config, backends, availability, logger.child({ component: 'usage-meter' }));
  const admission = new ProcessAdmission(config.server);
  const identity = processIdentity('serve');
  // SIGHUP and the admin API re-read the file the process was started with (reload.ts).
  const reloader = options.configPath ? new ConfigReloader(options.configPath, config, { ledger, usage, logger }) : undefined;
  const onHangup = () => void reloader?.reload('SIGHUP');
  if (reloader) process.on('SIGHUP', onHangup);

  // In-process: one bus for all. NATS: one per service (its durables), one relay.
  const shared = config.bus.driver === 'memory'
    ? createServiceBus(config, { ledger, logger: logger.child({ component: 'bus' }), service: 'all', relay: true })
    : null;
  const buses: EventBus[] = shared ? [shared] : [];
  const started: StartedService[] = [];
  for (const name of SERVICE_NAMES) {
    let bus = shared;
    if (!bus) {
      bus = createServiceBus(config, { ledger, logger: logger.child({ component: 'bus', bus: name }), service: name, relay: name === 'gateway' });
      buses.push(bus);
    }
    started.push(startService(name, { config, configPath: options.configPath, ledger, backends, availability, breakers, usage, admission, bus, logger, identity, reloader }));
  }
  for (const bus of buses) bus.start();
  await usage.start({ ledger });
  const gateway = started[0]?.gateway;
  if (!gateway) throw new Error('the gateway must be the first service');
  const gatewayMetrics = await startGatewayMetrics(config, ledger);
  const url = await gateway.app.listen({ host: config.server.host, port: config.server.port });
  gateway.ready = true;
  const stopTlsReload = reloadTlsOnSighup(gateway, config, logger);
  const heartbeat = startHeartbeat({ ledger, identity, logger: logger.child({ component: 'heartbeat' }) });
  // Passes an operator asked a gateway for, of the jobs this process runs (POST /admin/api/jobs/{job}/run).
  const jobRequests = startJobRequests({
    ledger, processId: processIdOf(identity), logger: logger.child({ component: 'job-requests' }),
    reload: reloader && (() => reloader.reload('admin reload --all')),
  });
  logger.info({ url, backends: config.backends.map((b) => b.name), buckets: config.buckets.map((b) => b.name) }, 's3-orchestrator serving');

  let stopping: Promise<void> | null = null;
  return {
    url,
    stop: () => {
      stopping ??= (async () => {
        gateway.ready = false;
        stopTlsReload();
        process.off('SIGHUP', onHangup);
        if (config.server.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.server.shutdownDelayMs));
        // Requests first, then event handlers in flight, then the services' own loops.
        await started[0]?.stop();
        await Promise.all(buses.map((b) => b.stop()));
        await Promise.all(started.slice(1).map((s) => s.stop()));
        await jobRequests.stop();
        await heartbeat.stop();
        // Whatever the meter still holds goes to the outbox; it is folded after the next start if not now.
        await usage.stop();
        breakers?.stop();
        for (const client of backends.values()) client.close();
        await gatewayMetrics.stop();
        await ledger.close();
      })();
      return stopping;
    },
  };
}
