// `serve`: every service in one process over SQLite and the in-process bus (DESIGN §2).
import { hostname } from 'node:os';
import type { Config } from '@s3o/config';
import { openLedger } from '@s3o/store';
import { createBackendClients } from '@s3o/backends';
import { InProcessBus } from '@s3o/bus';
import { createGatewayApp } from '@s3o/gateway';
import { startCleanupService } from '@s3o/cleanup';
import { startPlacementService } from '@s3o/placement';
import { startUsageService } from '@s3o/usage';
import { startNotifierService } from '@s3o/notifier';
import type { Logger } from '@s3o/telemetry';

export interface RunningOrchestrator {
  /** the bound address, e.g. http://127.0.0.1:9000 */
  url: string;
  stop(): Promise<void>;
}

export async function serve(config: Config, logger: Logger): Promise<RunningOrchestrator> {
  const source = `s3o@${hostname()}:${process.pid}`;
  const ledger = await openLedger({ driver: 'sqlite', path: config.database.path, source });
  await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
  const backends = createBackendClients(config.backends.map((b) => ({ ...b, timeoutMs: config.server.backendTimeoutMs })));
  const bus = new InProcessBus({ ledger, logger: logger.child({ component: 'bus' }), maxDeliver: config.bus.maxDeliver, pollIntervalMs: config.bus.pollIntervalMs });

  const cleanup = startCleanupService({ config, ledger, backends, logger: logger.child({ service: 'cleanup' }), bus });
  const placement = startPlacementService({ config, bus, logger: logger.child({ service: 'placement' }) });
  const usage = startUsageService({ bus, logger: logger.child({ service: 'usage' }) });
  const notifier = startNotifierService({ config, bus, logger: logger.child({ service: 'notifier' }) });
  const gateway = createGatewayApp({ config, ledger, backends, logger: logger.child({ service: 'gateway' }), onEventsAppended: () => bus.notify() });
  bus.start();
  const url = await gateway.app.listen({ host: config.server.host, port: config.server.port });
  gateway.ready = true;
  logger.info({ url, backends: config.backends.map((b) => b.name), buckets: config.buckets.map((b) => b.name) }, 's3-orchestrator serving');

  let stopping: Promise<void> | null = null;
  return {
    url,
    stop: () => {
      stopping ??= (async () => {
        gateway.ready = false;
        if (config.server.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.server.shutdownDelayMs));
        await gateway.app.close();
        await bus.stop();
        await Promise.all([cleanup.stop(), placement.stop(), usage.stop(), notifier.stop()]);
        for (const client of backends.values()) client.close();
        await ledger.close();
      })();
      return stopping;
    },
  };
}
