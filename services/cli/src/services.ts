// The five services and how each is started from shared pieces. `serve` starts all of
// them in one process; `s3-orchestrator <service>` starts one (docs/architecture.md §2). This is the
// only package that imports services, because it composes them.
import type { Config } from '@s3o/config';
import type { Ledger } from '@s3o/store';
import type { BackendAvailability, BackendBreakers, BackendClient, ProcessAdmission, ProcessUsage } from '@s3o/backends';
import { NatsBroadcast, type EventBus } from '@s3o/bus';
import { processLogs, type Logger } from '@s3o/telemetry';
import { processWorkers, type ProcessIdentity } from '@s3o/workers';
import type { KeySource } from '@s3o/crypto';
import { masterKeySealer, plainSealer } from '@s3o/identity';
import { createGatewayApp, type Gateway } from '@s3o/gateway';
import { startCleanupService } from '@s3o/cleanup';
import { startPlacementService } from '@s3o/placement';
import { startUsageService } from '@s3o/usage';
import { startNotifierService } from '@s3o/notifier';
import { busOfService } from './service-bus.js';
import type { ConfigReloader } from './reload.js';

export const SERVICE_NAMES = ['gateway', 'placement', 'cleanup', 'usage', 'notifier'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

export interface ServiceDeps {
  config: Config;
  /** the file `config` came from (the admin API names it when refusing to change a config entry) */
  configPath?: string;
  ledger: Ledger;
  backends: Map<string, BackendClient>;
  /** shared by every service of the process: breakers and usage limits register gates here */
  availability: BackendAvailability;
  /** the process's backend circuit breakers; null when backend_circuit_breaker is off */
  breakers: BackendBreakers | null;
  /** the process's usage figures and limits (@s3o/usage process-usage.ts) */
  usage: ProcessUsage;
  /** the process's concurrency budgets: the gateway admits requests, background copies take write slots */
  admission: ProcessAdmission;
  bus: EventBus;
  /** the process's root logger (the admin API's log level changes it) */
  logger: Logger;
  /** who this process is (admin status, heartbeats) */
  identity: ProcessIdentity;
  /** re-reading the configuration file (absent without one); the gateway attaches itself */
  reloader?: ConfigReloader;
  /** the master keys (checked at start, master-keys.ts); null when none is configured */
  keys: KeySource | null;
}

export interface StartedService {
  /** the gateway's HTTP app (it serves its own health endpoints); null for the others */
  gateway: Gateway | null;
  stop(): Promise<void>;
}

/**
 * How a gateway hears of identity.changed (docs/architecture.md §5 "Identity propagation"). Every
 * gateway must rebuild on every change, so with NATS it is a plain subscription of its own (the
 * service's durables split events between replicas); in-process, a consumer of the one bus.
 */
function identityChanges(deps: ServiceDeps, logger: Logger): (rebuild: () => void) => () => void {
  const bus = deps.config.bus;
  if (bus.driver === 'nats') {
    return (rebuild) => {
      const broadcast = new NatsBroadcast({
        url: bus.url.split(',').map((u) => u.trim()).filter((u) => u !== ''),
        subjectPrefix: bus.subjectPrefix,
        type: 'identity.changed',
        logger,
      });
      broadcast.start(rebuild);
      return () => void broadcast.stop();
    };
  }
  const listeners = new Set<() => void>();
  deps.bus.subscribe({
    consumer: 'gateway-identity',
    types: ['identity.changed'],
    handler: async () => {
      for (const listener of listeners) listener();
    },
  });
  return (rebuild) => {
    listeners.add(rebuild);
    return () => listeners.delete(rebuild);
  };
}

/** Wires one service to its bus. Consumers start with the bus (bus.start()). */
export function startService(name: ServiceName, deps: ServiceDeps): StartedService {
  deps = { ...deps, bus: busOfService(deps.bus, name) };
  // 'component', not 'service': the root logger already names the process's service.
  const logger = deps.logger.child({ component: name });
  switch (name) {
    case 'gateway': {
      const operator = {
        rootLogger: deps.logger, logs: processLogs, workers: processWorkers, breakers: deps.breakers, process: deps.identity, reload: deps.reloader,
      };
      const gateway = createGatewayApp({
        ...deps, logger, busConnected: () => deps.bus.isConnected(), identityChanges: identityChanges(deps, logger), operator,
        // Stored secrets sealed under the encryption master key when there is one (docs/security.md).
        sealer: deps.keys ? masterKeySealer(deps.keys) : plainSealer,
      });
      deps.reloader?.attachGateway(gateway);
      return {
        gateway,
        stop: async () => {
          gateway.ready = false;
          await gateway.app.close();
        },
      };
    }
    case 'cleanup': {
      const s = startCleanupService({ ...deps, logger });
      deps.reloader?.attachService(s);
      return { gateway: null, stop: () => s.stop() };
    }
    case 'placement': {
      // The process's breakers are the cluster's view of backend health (docs/architecture.md §5): copies on a
      // backend open longer than replication.unhealthy_threshold stop counting.
      const s = startPlacementService({
        config: deps.config, ledger: deps.ledger, backends: deps.backends, availability: deps.availability,
        health: deps.breakers ?? undefined, breakers: deps.breakers, admission: deps.admission, bus: deps.bus, logger, keys: deps.keys,
      });
      deps.reloader?.attachService(s);
      return { gateway: null, stop: () => s.stop() };
    }
    case 'usage': {
      const s = startUsageService({ bus: deps.bus, ledger: deps.ledger, logger, publishTotal: (total) => deps.usage.publishTotal(total) });
      return { gateway: null, stop: () => s.stop() };
    }
    case 'notifier': {
      const s = startNotifierService({ config: deps.config, ledger: deps.ledger, bus: deps.bus, logger });
      deps.reloader?.attachService(s);
      return { gateway: null, stop: () => s.stop() };
    }
  }
}
