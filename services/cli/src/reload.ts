// Re-reading the configuration file in a running process (SIGHUP, POST /admin/api/reload,
// `admin reload --all`; docs/architecture.md §7 "Reloading"). The file is loaded and validated
// whole first: an invalid file changes nothing and says why (the reload status, an error log
// line, s3o_config_reloads_total{result="failed"}). A valid one is compared with what runs;
// what can change live is applied — log level, buckets and their credentials, auth.root,
// backend quotas (synced to the ledger), monthly usage limits, rate limits, and the sections
// the services of this process read (replication, rebalance, lifecycle, notifications: each
// service takes its own, ReconfigurableService) — and every other changed key is listed as
// needing a restart (RESTART_ONLY says why), and keeps its running value until then.
import type { Config } from '@s3o/config';
import { ConfigError, loadConfig } from '@s3o/config';
import type { ProcessUsage } from '@s3o/backends';
import { usageLimitsOf } from '@s3o/backends';
import type { ConfigReload, Gateway, ReloadStatus } from '@s3o/gateway';
import type { Ledger } from '@s3o/store';
import { counter, gauge, type Logger } from '@s3o/telemetry';

const reloads = counter({ name: 's3o_config_reloads_total', help: 'Configuration reloads by result (ok, failed)', labelNames: ['result'] });
const lastReload = gauge({ name: 's3o_config_last_reload_success', help: '1 when the last configuration reload succeeded, 0 when it was refused' });

/** The keys a reload applies live; every other key needs a restart. */
const LIVE = [
  'logging.level', 'buckets', 'auth.root', 'backends[].quotaBytes', 'backends[].apiRequestLimit', 'backends[].egressByteLimit',
  'backends[].ingressByteLimit', 'rateLimit', 'replication', 'rebalance', 'lifecycle', 'notifications',
];

/** The sections a reload hands to the services whole. */
const LIVE_SECTIONS = ['rateLimit', 'replication', 'rebalance', 'lifecycle', 'notifications'] as const;

/**
 * The keys that still take a restart, and why. A key changed in the file keeps its running
 * value (GET /admin/api/config shows it) and is listed in the reload's `restart_needed`.
 */
export const RESTART_ONLY: Readonly<Record<string, string>> = {
  server: 'the listener (address, TLS settings) is bound, and the request limits, admission budgets and body guards built, when the process starts; TLS certificate files are re-read on SIGHUP',
  database: 'the ledger (engine, connection pool, leader-lock connections) is opened once at start; another engine or DSN is another ledger',
  bus: 'the NATS connections, streams, durable consumers and outbox relay are set up at start',
  backends: 'a backend added or removed, or its endpoint, bucket, credentials or size cap changed, needs new clients, breakers and meters (only quota_bytes and the monthly limits are live)',
  encryption: 'the master keys are checked against the ledger at start; a process must not take a key it cannot prove',
  integrity: 'read by the write and read paths as built at start',
  telemetry: 'exporters, the metrics listener and tracing are started once',
  ui: 'the dashboard is registered at its path, with its session secret, when the gateway starts',
  circuitBreaker: 'the database breaker is built at start',
  backendCircuitBreaker: 'the backend breakers and the health prober are built at start',
  routingStrategy: 'read by placement decisions as built at start',
  cleanupQueue: 'the cleanup jobs take their intervals and limits at start',
  writePath: 'heartbeats and the reaper take their timings at start',
  reconcile: 'the reconcile job is made (or not) at start',
  usageFlush: 'the usage meter is set up at start',
};

/** A service of this process that takes a reloaded configuration, reading its own sections from it. */
export interface ReconfigurableService {
  reconfigure(next: Config): void;
}

export class ConfigReloader implements ConfigReload {
  readonly liveKeys = LIVE;
  readonly restartOnly = RESTART_ONLY;
  private last: ReloadStatus | null = null;
  private readonly gateways: Gateway[] = [];
  private readonly services: ReconfigurableService[] = [];
  private running: Promise<ReloadStatus> | null = null;

  /** `started`: the configuration the process started with (what restart-only keys still run with). */
  constructor(
    private readonly path: string,
    private readonly started: Config,
    private readonly deps: { ledger: Pick<Ledger, 'syncBackends'>; usage: Pick<ProcessUsage, 'updateLimits'>; logger: Logger },
    private applied: Config = started,
  ) {}

  /** The gateway of this process, which takes the new buckets, credentials and auth.root. */
  attachGateway(gateway: Gateway): void {
    this.gateways.push(gateway);
  }

  /** A service of this process (placement, cleanup, notifier), which takes its sections of a reloaded file. */
  attachService(service: ReconfigurableService): void {
    this.services.push(service);
  }

  status(): ReloadStatus | null {
    return this.last;
  }

  /** One reload at a time: a second request while one runs gets the same answer. */
  reload(trigger: string): Promise<ReloadStatus> {
    this.running ??= this.reloadOnce(trigger).finally(() => (this.running = null));
    return this.running;
  }

  private async reloadOnce(trigger: string): Promise<ReloadStatus> {
    const at = new Date().toISOString();
    let next: Config;
    try {
      next = (await loadConfig(this.path)).config;
    } catch (err) {
      const error = err instanceof ConfigError ? err.problems.join('; ') : err instanceof Error ? err.message : String(err);
      this.deps.logger.error({ trigger, file: this.path, error }, 'configuration reload refused: the running configuration stays');
      reloads.inc({ result: 'failed' });
      lastReload.set(0);
      return (this.last = { at, trigger, ok: false, error, changed: [], applied: [], restart_needed: [] });
    }
    const live = this.liveConfig(next);
    const appliedKeys = diffKeys(this.applied, live);
    // Restart-only keys are compared with what the process started with: they keep that value until a restart.
    const restartNeeded = diffKeys(this.started, next).filter((k) => !isLive(k));
    try {
      if (appliedKeys.some((k) => k.startsWith('logging.'))) this.deps.logger.level = live.logging.level;
      if (appliedKeys.some((k) => k.includes('.quotaBytes'))) {
        await this.deps.ledger.syncBackends(live.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
      }
      if (appliedKeys.some((k) => /Limit$/.test(k))) this.deps.usage.updateLimits(usageLimitsOf(live.backends));
      for (const gateway of this.gateways) gateway.applyConfig(live);
      // Each service compares nothing: it takes the sections it reads, and what did not change stays as it was.
      if (appliedKeys.length > 0) for (const service of this.services) service.reconfigure(live);
    } catch (err) {
      // The ledger sync can fail here (the database is unreachable): say so; the next reload tries again.
      const error = `applying the configuration failed: ${err instanceof Error ? err.message : String(err)}`;
      this.deps.logger.error({ trigger, err }, 'configuration reload failed while applying');
      reloads.inc({ result: 'failed' });
      lastReload.set(0);
      return (this.last = { at, trigger, ok: false, error, changed: appliedKeys, applied: [], restart_needed: restartNeeded });
    }
    this.applied = live;
    const status: ReloadStatus = {
      at, trigger, ok: true, error: null, changed: [...appliedKeys, ...restartNeeded], applied: appliedKeys, restart_needed: restartNeeded,
    };
    this.deps.logger.info({ trigger, applied: appliedKeys, restartNeeded }, 'configuration reloaded');
    reloads.inc({ result: 'ok' });
    lastReload.set(1);
    return (this.last = status);
  }

  /** The configuration the process runs after applying `next`: its live keys, the started values of the rest. */
  private liveConfig(next: Config): Config {
    return { ...this.started, ...pickLive(this.started, next) };
  }
}

/** The live sections of `next` over `base`; backends keep their base settings but for quota and limits. */
function pickLive(base: Config, next: Config): Partial<Config> {
  const byName = new Map(next.backends.map((b) => [b.name, b]));
  const sections: Partial<Config> = {};
  for (const key of LIVE_SECTIONS) (sections as Record<string, unknown>)[key] = next[key];
  return {
    ...sections,
    logging: { ...base.logging, level: next.logging.level },
    buckets: next.buckets,
    auth: { ...base.auth, root: next.auth.root },
    backends: base.backends.map((b) => {
      const n = byName.get(b.name);
      return n ? { ...b, quotaBytes: n.quotaBytes, apiRequestLimit: n.apiRequestLimit, egressByteLimit: n.egressByteLimit, ingressByteLimit: n.ingressByteLimit } : b;
    }),
  };
}

function isLive(key: string): boolean {
  return LIVE.some((k) => key === k || key.startsWith(`${k}.`) || key.startsWith(`${k}[`) || key.replace(/\[[^\]]*\]/, '[]') === k);
}

/**
 * The key paths whose values differ: `section.key` (one level down), `buckets` and `auth.root`
 * as wholes, each backend by name (`backends[b1].quotaBytes`; `backends[b4]` when one is added
 * or removed).
 */
export function diffKeys(a: Config, b: Config): string[] {
  const out: string[] = [];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  for (const section of new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof Config>) {
    const x = a[section] as unknown;
    const y = b[section] as unknown;
    if (same(x, y)) continue;
    if (section === 'buckets') out.push('buckets');
    else if (section === 'backends') {
      const xs = new Map(a.backends.map((v) => [v.name, v]));
      const ys = new Map(b.backends.map((v) => [v.name, v]));
      for (const name of new Set([...xs.keys(), ...ys.keys()])) {
        const bx = xs.get(name);
        const by = ys.get(name);
        if (!bx || !by) out.push(`backends[${name}]`);
        else for (const k of new Set([...Object.keys(bx), ...Object.keys(by)])) {
          if (!same((bx as unknown as Record<string, unknown>)[k], (by as unknown as Record<string, unknown>)[k])) out.push(`backends[${name}].${k}`);
        }
      }
      // Only their order changed (the pack order): still a change.
      if (out.every((k) => !k.startsWith('backends'))) out.push('backends');
    } else if (x && y && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x)) {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
        if (!same((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k])) out.push(`${String(section)}.${k}`);
      }
    } else out.push(String(section));
  }
  return out;
}
