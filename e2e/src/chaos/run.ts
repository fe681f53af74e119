// One chaos run: a system (single or distributed mode) whose backends each sit behind a
// FaultProxy, the seeded workload for `loadMs`, the seeded fault schedule during it, then
// — every fault healed — the verdict (verdict.ts). Everything a failing run needs to be
// replayed is in its report: the seed and the schedule.
import type { SystemMode } from '../harness.js';
import { startProxiedSystem, type ProxiedSystem } from './proxied-system.js';
import { startPrivatePostgres, type PrivatePostgres } from '../../../services/gateway/test/support/private-postgres.js';
import { BACKEND_FAULTS, DISTRIBUTED_FAULTS, KERNEL_FAULTS, FaultInjector, describeSchedule, drawSchedule, type FaultEvent, type FaultKind } from './faults.js';
import { KernelLink, kernelFaultsUnavailable, removeStaleNamespaces } from './kernel-link.js';
import { Prng } from './prng.js';
import { ResourceSampler, type ResourceGrowth } from './resources.js';
import { judge, type Verdict } from './verdict.js';
import { Workload, type OpRecord } from './workload.js';
import { KiB, MiB } from '../data.js';

export interface ChaosOptions {
  seed: number;
  mode: SystemMode;
  loadMs: number;
  clients: number;
  keysPerClient: number;
  maxPutBytes: number;
  faults: number;
  kinds: FaultKind[];
  /** the gateway's backend timeout (ms); freezes are drawn around it */
  backendTimeoutMs: number;
  /** how long the system may take, after the load, to reach every condition of the verdict */
  settleMs: number;
  /** sample RSS and open fds of every process this often (0: not at all) */
  sampleEveryMs: number;
  /** a client request that takes longer is abandoned (counted as an error) */
  requestTimeoutMs: number;
}

export type ProfileName = 'ci' | 'default' | 'soak';

export function profile(name: ProfileName, mode: SystemMode): Omit<ChaosOptions, 'seed'> {
  const base = {
    mode, clients: 4, keysPerClient: 16, maxPutBytes: 64 * MiB, backendTimeoutMs: 4000, settleMs: 180_000, sampleEveryMs: 0, requestTimeoutMs: 120_000,
    kinds: mode === 'distributed' ? [...BACKEND_FAULTS, ...DISTRIBUTED_FAULTS] : BACKEND_FAULTS,
  };
  switch (name) {
    // Short, small bodies, a few faults: fits a loaded CI machine in well under 2 minutes.
    case 'ci': return { ...base, loadMs: 25_000, clients: 3, keysPerClient: 8, maxPutBytes: 2 * MiB, faults: 3, settleMs: 60_000, requestTimeoutMs: 30_000 };
    case 'default': return { ...base, loadMs: 120_000, faults: 10 };
    case 'soak': return { ...base, loadMs: 30 * 60_000, faults: 120, sampleEveryMs: 30_000 };
  }
}

export interface ChaosReport {
  options: ChaosOptions;
  schedule: FaultEvent[];
  faultLog: string[];
  ops: { total: number; failed: number; byKind: Record<string, { total: number; failed: number }> };
  duringFaults: LatencySummary;
  outsideFaults: LatencySummary;
  errors: Record<string, number>;
  uncertainKeys: number;
  /** fault kinds asked for but not run, and why (kernel faults without root) */
  skipped: string[];
  verdict: Verdict;
  resources: ResourceGrowth[];
  ok: boolean;
}

export interface LatencySummary {
  ops: number;
  failed: number;
  errorRate: number;
  p50Ms: number;
  p99Ms: number;
}

export async function runChaos(options: ChaosOptions, progress: (line: string) => void = () => undefined): Promise<ChaosReport> {
  const root = new Prng(options.seed);
  let system: ProxiedSystem | null = null;
  let injector: FaultInjector | null = null;
  let sampler: ResourceSampler | null = null;
  // Restarting NATS or Postgres needs servers of the run's own (never the shared ones).
  const infrastructure = options.mode === 'distributed' && options.kinds.some((k) => k === 'restart-nats' || k === 'restart-postgres');
  let postgres: PrivatePostgres | null = null;
  const links: KernelLink[] = [];
  const skipped: string[] = [];
  try {
    // Kernel faults are opt-in and need root: without it they are left out, said so, and the rest runs.
    if (options.kinds.some((k) => KERNEL_FAULTS.includes(k))) {
      const why = await kernelFaultsUnavailable();
      if (why) {
        skipped.push(`${KERNEL_FAULTS.join(', ')} skipped: ${why}`);
        progress(`chaos: ${skipped[0]}`);
        options = { ...options, kinds: options.kinds.filter((k) => !KERNEL_FAULTS.includes(k)) };
        if (options.kinds.length === 0) throw new Error(`no fault kind left to run (${why})`);
      }
    }
    const kernel = options.kinds.some((k) => KERNEL_FAULTS.includes(k));
    if (infrastructure) postgres = await startPrivatePostgres();
    system = await startProxiedSystem({
      mode: options.mode,
      rng: root,
      ...(infrastructure ? { nats: 'private' as const, postgresUrl: `postgres://postgres@127.0.0.1:${postgres!.port}/postgres` } : {}),
      overrides: {
        server: { backend_timeout: `${options.backendTimeoutMs}ms` },
        replication: { factor: 2, worker_interval: '1s' },
        // Debts of a backend that is down are retried until it is back (never dead-lettered
        // by the count of attempts: a partition is not a reason to give up).
        cleanup_queue: {
          tick: '200ms', backoff_base: '200ms', backoff_max: '2s', max_attempts: 100_000, multipart_stale_timeout: '20s',
          // Long enough for a backend that comes back to work off the requests it held.
          confirm_delay: `${Math.max(3000, options.backendTimeoutMs)}ms`,
        },
        write_path: { pending_pattern: { reaper_tick: '1s', min_age: '15s', heartbeat: '2s' } },
      },
    });
    const { sys, proxies } = system;
    if (kernel) {
      await removeStaleNamespaces();
      for (const [i, backend] of sys.backends.entries()) {
        const link = await KernelLink.create(i, Number(new URL(backend.endpoint).port));
        links.push(link);
        proxies[i]!.setTarget(link.url);
      }
      progress(`kernel links: ${links.map((l, i) => `b${i + 1} via ${l.namespace} (${l.url})`).join(', ')}`);
    }
    const services = sys.distributed?.processes.filter((p) => p.verb !== 'gateway') ?? [];
    const gateways = (sys.distributed?.processes.filter((p) => p.verb === 'gateway') ?? []).map((p, i) => ({ process: p, front: system!.gatewayProxies[i]! }));
    const schedule = drawSchedule(root.fork(1), {
      loadMs: options.loadMs, faults: options.faults, kinds: options.kinds, backends: proxies.length,
      backendTimeoutMs: options.backendTimeoutMs, services: services.map((s) => s.name), infrastructure,
      gateways: gateways.map((g) => g.process.name), natsProxy: system.natsProxy !== null,
    });
    progress(`seed ${options.seed}, ${options.mode} mode, ${options.loadMs / 1000}s of load, faults:\n${describeSchedule(schedule)}`);

    const clients = Array.from({ length: options.clients }, () => sys!.client(undefined, { maxAttempts: 1 }));
    const workload = new Workload(clients, sys.bucket.name, clients.map((_, i) => root.fork(10 + i)), {
      clients: options.clients, keysPerClient: options.keysPerClient, maxPutBytes: options.maxPutBytes,
      replayableBytes: 256 * KiB, requestTimeoutMs: options.requestTimeoutMs,
    });
    const startedAt = Date.now();
    injector = new FaultInjector({
      backends: sys.backends, proxies, services, nats: infrastructure ? sys.distributed!.nats.server : null, postgres,
      links: kernel ? links : null, gateways, natsProxy: system.natsProxy,
    }, startedAt);
    if (options.sampleEveryMs > 0) {
      const inj = injector;
      sampler = new ResourceSampler(() => [
        { name: options.mode === 'single' ? 'orchestrator (with the clients)' : 'clients', pid: process.pid },
        ...inj.processes.map((p, i) => ({ name: `s3rver-b${i + 1}`, pid: p.pid })),
        ...(sys.distributed?.processes.map((s) => ({ name: s.name, pid: s.pid ?? -1 })) ?? []),
      ], options.sampleEveryMs);
    }
    injector.start(schedule);
    const load = workload.run();
    const ticker = setInterval(() => {
      progress(`  ${Math.round(workload.elapsed() / 1000)}s: ${workload.ops.length} ops, ${workload.ops.filter((o) => !o.ok).length} failed`);
      // A long run shows its processes' memory and fds as it goes (a run cut short still tells).
      if (sampler) progress(`    ${sampler.latest().map(({ name, sample: s }) => `${name} ${(s.rssKiB / 1024).toFixed(0)} MiB/${s.fds} fds`).join(', ')}`);
    }, options.sampleEveryMs > 0 ? 60_000 : 10_000);
    await new Promise((resolve) => setTimeout(resolve, options.loadMs));
    workload.stop();
    clearInterval(ticker);
    await injector.healAll();
    await load;
    progress(`load over: ${workload.ops.length} ops; every fault healed; settling`);

    const verdict = await judge({
      sys, model: workload.model, violations: workload.violations, settleMs: options.settleMs,
      processes: injector.processes, problems: injector.problems, historyOf: (key) => workload.historyOf(key),
    });
    const windows = injector.windows;
    const during = (o: OpRecord) => windows.some(([s, e]) => o.at < e && o.at + o.ms > s);
    const byKind: ChaosReport['ops']['byKind'] = {};
    const errors: Record<string, number> = {};
    for (const o of workload.ops) {
      const k = (byKind[o.kind] ??= { total: 0, failed: 0 });
      k.total++;
      if (!o.ok) {
        k.failed++;
        errors[o.error!] = (errors[o.error!] ?? 0) + 1;
      }
    }
    const resources = sampler ? sampler.stop() : [];
    return {
      options, schedule, faultLog: injector.log,
      ops: { total: workload.ops.length, failed: workload.ops.filter((o) => !o.ok).length, byKind },
      duringFaults: summarize(workload.ops.filter(during)),
      outsideFaults: summarize(workload.ops.filter((o) => !during(o))),
      errors, uncertainKeys: workload.model.uncertainCount(), skipped, verdict, resources, ok: verdict.ok,
    };
  } finally {
    sampler?.stop();
    await injector?.healAll().catch(() => undefined);
    await injector?.stopRestarted().catch(() => undefined);
    // The namespaces go before the system: nothing of the run may stay in the kernel.
    await Promise.all(links.map((l) => l.destroy().catch(() => undefined)));
    // The run's database is dropped through the private cluster: it must be up for that.
    await postgres?.start().catch(() => undefined);
    try {
      await system?.stop();
    } finally {
      await postgres?.destroy();
    }
  }
}

function summarize(ops: OpRecord[]): LatencySummary {
  const ms = ops.map((o) => o.ms).sort((a, b) => a - b);
  const at = (q: number) => (ms.length === 0 ? 0 : Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!));
  const failed = ops.filter((o) => !o.ok).length;
  return { ops: ops.length, failed, errorRate: ops.length === 0 ? 0 : failed / ops.length, p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** The replay line and the schedule, printed by a run that did not end well. */
export function replayText(r: ChaosReport): string {
  return `replay with: npm run chaos -- --seed ${r.options.seed} --mode ${r.options.mode} --duration ${r.options.loadMs / 1000} ` +
    `--clients ${r.options.clients} --faults ${r.options.faults} --max-size ${r.options.maxPutBytes} --faults-only ${r.options.kinds.join(',')}\nfault schedule:\n${describeSchedule(r.schedule)}`;
}
