// The fault schedule of a chaos run — drawn from the seed, so a run replays exactly — and
// the injector that applies each fault at its moment and heals it at its end:
//  * process faults on a backend's s3rver: frozen (SIGSTOP … SIGCONT) shorter or longer
//    than the backend timeout; killed (SIGKILL) and restarted on the same port and files;
//  * network faults through the backend's FaultProxy: latency + jitter, loss, connection
//    resets, a bandwidth cap, a full partition, and HTTP errors (500 / 503 / SlowDown);
//  * opt-in kernel network faults through the backend's KernelLink (kernel-link.ts; root,
//    `ip netns`, `tc`, `iptables`): a `tc tbf` bandwidth cap and an `iptables` DROP partition
//    on the link of a network namespace the gateway's traffic to that backend crosses;
//  * distributed mode: SIGKILL of a service replica (placement, cleanup, usage, notifier),
//    restarted after the fault's duration; a gateway SIGKILLed under load and restarted (its
//    clients reach it through a FaultProxy that follows it to its new port); every service
//    partitioned from NATS (the FaultProxy in front of it drops everything); the run's
//    private NATS server or private Postgres cluster stopped and started again.
// One backend carries at most one fault at a time; faults on different backends overlap
// (combined faults), and a service fault may overlap any backend fault. A fault whose target
// is still healing from the previous one (a restart not yet up) waits for that heal.
import { join } from 'node:path';
import { retryWhileAddressInUse, mentionsAddressInUse, startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { BACKEND_BUCKET, type RunningBackend } from '../harness.js';
import type { ServiceProcess } from '../distributed/service-process.js';
import type { FaultProxy, NetworkFault } from './fault-proxy.js';
import type { KernelLink } from './kernel-link.js';
import type { Prng } from './prng.js';

export type FaultKind =
  | 'freeze-short' | 'freeze-long' | 'kill-restart'
  | 'latency' | 'loss' | 'resets' | 'bandwidth' | 'partition' | 'http-errors'
  | 'kernel-bandwidth' | 'kernel-partition'
  | 'kill-service' | 'kill-gateway' | 'partition-nats' | 'restart-nats' | 'restart-postgres';

export const BACKEND_FAULTS: FaultKind[] = ['freeze-short', 'freeze-long', 'kill-restart', 'latency', 'loss', 'resets', 'bandwidth', 'partition', 'http-errors'];

export interface FaultEvent {
  kind: FaultKind;
  /** ms after the load started */
  at: number;
  durationMs: number;
  /** backend index (backend faults), service process name (kill-service), `nats` or `postgres` */
  target: string;
  /** the proxy setting of a network fault */
  network?: NetworkFault;
}

export interface ScheduleOptions {
  loadMs: number;
  faults: number;
  kinds: FaultKind[];
  backends: number;
  /** the gateway's backend timeout: "short" freezes stay under it, "long" ones exceed it */
  backendTimeoutMs: number;
  /** service processes a kill-service fault may pick */
  services: string[];
  /** gateway processes a kill-gateway fault may pick */
  gateways: string[];
  /** distributed mode: the services reach NATS through a proxy that can partition them */
  natsProxy: boolean;
  /** distributed mode on a private NATS server and Postgres cluster: they may be restarted */
  infrastructure: boolean;
}

/** Opt-in (`--kernel-faults`): made by the kernel in a network namespace of the run's own; need root. */
export const KERNEL_FAULTS: FaultKind[] = ['kernel-bandwidth', 'kernel-partition'];

/** Faults only distributed mode can have. */
export const DISTRIBUTED_FAULTS: FaultKind[] = ['kill-service', 'kill-gateway', 'partition-nats', 'restart-nats', 'restart-postgres'];

/** Draws the schedule: `faults` faults at random moments in the first 80 % of the load. */
export function drawSchedule(rng: Prng, o: ScheduleOptions): FaultEvent[] {
  const events: FaultEvent[] = [];
  const kinds = o.kinds.filter((k) => (k === 'kill-service' ? o.services.length > 0 : k === 'kill-gateway' ? o.gateways.length > 0
    : k === 'partition-nats' ? o.natsProxy : k.startsWith('restart-') ? o.infrastructure : true));
  for (let n = 0, tries = 0; n < o.faults && tries < o.faults * 20; tries++) {
    const kind = rng.pick(kinds);
    const at = rng.int(Math.round(o.loadMs * 0.05), Math.round(o.loadMs * 0.8));
    const durationMs = durationOf(rng, kind, o);
    const target = kind === 'kill-service' ? rng.pick(o.services) : kind === 'kill-gateway' ? rng.pick(o.gateways)
      : kind === 'restart-nats' || kind === 'partition-nats' ? 'nats' : kind === 'restart-postgres' ? 'postgres' : String(rng.int(0, o.backends - 1));
    // One fault per target at a time; each fault ends before the load does.
    const free = events.filter((e) => e.target === target).every((e) => at > e.at + e.durationMs + 1000 || at + durationMs + 1000 < e.at);
    if (!free || at + durationMs > o.loadMs) continue;
    const network = networkFault(rng, kind);
    events.push({ kind, at, durationMs, target, ...(network ? { network } : {}) });
    n++;
  }
  return events.sort((a, b) => a.at - b.at);
}

function durationOf(rng: Prng, kind: FaultKind, o: ScheduleOptions): number {
  const t = o.backendTimeoutMs;
  switch (kind) {
    case 'freeze-short': return rng.int(Math.round(t * 0.2), Math.round(t * 0.6));
    case 'freeze-long': return rng.int(Math.round(t * 1.3), Math.round(t * 2));
    case 'kill-restart': return rng.int(1000, 4000);
    case 'kill-service':
    case 'kill-gateway': return rng.int(500, 3000);
    case 'partition-nats': return rng.int(2000, 8000);
    case 'restart-nats':
    case 'restart-postgres': return rng.int(2000, 6000);
    default: return rng.int(Math.round(o.loadMs * 0.08), Math.round(o.loadMs * 0.2));
  }
}

function networkFault(rng: Prng, kind: FaultKind): NetworkFault | null {
  switch (kind) {
    case 'latency': return { latencyMs: rng.int(20, 150), jitterMs: rng.int(10, 100) };
    case 'loss': return { loss: rng.pick([0.02, 0.05, 0.1]) };
    case 'resets': return { resets: rng.pick([0.005, 0.01, 0.03]) };
    case 'bandwidth':
    case 'kernel-bandwidth': return { bandwidth: rng.pick([256 * 1024, 1024 * 1024, 4 * 1024 * 1024]) };
    case 'partition':
    case 'kernel-partition': return { partition: true };
    case 'http-errors': return { httpError: rng.pick(['InternalError', 'ServiceUnavailable', 'SlowDown'] as const) };
    default: return null;
  }
}

export function describeSchedule(events: FaultEvent[]): string {
  return events.map((e) => `  +${(e.at / 1000).toFixed(1)}s ${e.kind} on ${e.target} for ${(e.durationMs / 1000).toFixed(1)}s` +
    (e.network ? ` ${JSON.stringify(e.network)}` : '')).join('\n');
}

export interface InjectorTargets {
  backends: RunningBackend[];
  proxies: FaultProxy[];
  services: ServiceProcess[];
  /** something that stops and starts again (the run's private server), or null */
  nats: Restartable | null;
  postgres: Restartable | null;
  /** gateway processes and the proxy in front of each (distributed mode) */
  gateways: Array<{ process: ServiceProcess; front: FaultProxy }>;
  /** between the services and NATS (distributed mode), else null */
  natsProxy: FaultProxy | null;
  /** one per backend when the run has kernel faults, else null */
  links: KernelLink[] | null;
}

export interface Restartable {
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Applies a schedule in real time; every fault is healed at its end, or by healAll(). */
export class FaultInjector {
  /** the current s3rver process of each backend (a restarted backend has a new one) */
  readonly processes: S3rverProcess[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly active = new Map<FaultEvent, () => Promise<void>>();
  private readonly pending = new Set<Promise<unknown>>();
  /**
   * Per target, settles once the latest fault applied to it has healed. A fault waits for
   * its target's previous one: the schedule spaces them by their durations, but a heal can
   * take much longer (a service restart on a loaded machine takes seconds) — a second
   * SIGKILL would otherwise kill the restart of the first, a SIGSTOP hit a backend's dead
   * process while its restart is under way.
   */
  private readonly healedOf = new Map<string, Promise<void>>();
  /** healAll() has begun: a fault still waiting for its target is not applied any more. */
  private stopping = false;
  /** [start, end] ms after the load started, of every fault applied */
  readonly windows: Array<[number, number]> = [];
  readonly log: string[] = [];
  readonly problems: string[] = [];

  constructor(private readonly targets: InjectorTargets, private readonly startedAt: number) {
    this.processes = targets.backends.map((b) => b.process);
  }

  start(schedule: FaultEvent[]): void {
    for (const e of schedule) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.track(this.apply(e));
      }, Math.max(0, e.at - (Date.now() - this.startedAt)));
      this.timers.add(timer);
    }
  }

  /** Cancels what has not started and heals what is in force; resolves when all is back. */
  async healAll(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    // Heal what is in force before waiting on the rest: a fault waiting for its target's
    // previous fault to heal is let go by that, and then skips itself (stopping).
    for (;;) {
      for (const heal of [...this.active.values()]) await heal();
      if (this.pending.size === 0 && this.active.size === 0) return;
      await Promise.allSettled([...this.pending]);
    }
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((err: unknown) => this.problems.push(`fault injection failed: ${(err as Error).message}`));
    this.pending.add(guarded);
    void guarded.finally(() => this.pending.delete(guarded));
  }

  private now(): number {
    return Date.now() - this.startedAt;
  }

  private async apply(e: FaultEvent): Promise<void> {
    const previous = this.healedOf.get(e.target);
    let settle!: () => void;
    this.healedOf.set(e.target, new Promise<void>((resolve) => (settle = resolve)));
    if (previous) {
      const due = this.now();
      await previous;
      if (this.now() - due > 100) this.log.push(`+${(this.now() / 1000).toFixed(1)}s ${e.kind} on ${e.target} waited ${((this.now() - due) / 1000).toFixed(1)}s for the previous fault on it to heal`);
    }
    if (this.stopping) {
      this.log.push(`+${(this.now() / 1000).toFixed(1)}s ${e.kind} on ${e.target} not applied: the load is over`);
      settle();
      return;
    }
    const started = this.now();
    this.log.push(`+${(started / 1000).toFixed(1)}s ${e.kind} on ${e.target}`);
    let healed = false;
    let healing: Promise<void> | null = null;
    let heal: () => Promise<void>;
    try {
      heal = await this.inject(e);
    } catch (err) {
      settle();
      throw err;
    }
    const once = (): Promise<void> => {
      if (healed) return healing ?? Promise.resolve();
      healed = true;
      this.active.delete(e);
      healing = heal().then(() => {
        this.windows.push([started, this.now()]);
        this.log.push(`+${(this.now() / 1000).toFixed(1)}s healed ${e.kind} on ${e.target}`);
      });
      // The target is free again once the heal is over, whether or not it worked.
      void healing.then(settle, settle);
      return healing;
    };
    this.active.set(e, once);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.track(once());
    }, e.durationMs);
    this.timers.add(timer);
  }

  /** Starts one fault; returns how to heal it. */
  private async inject(e: FaultEvent): Promise<() => Promise<void>> {
    if (e.kind === 'kill-service') {
      const service = this.targets.services.find((s) => s.name === e.target)!;
      await service.kill('SIGKILL');
      return () => service.start();
    }
    if (e.kind === 'kill-gateway') {
      const gateway = this.targets.gateways.find((g) => g.process.name === e.target)!;
      await gateway.process.kill('SIGKILL');
      return async () => {
        // A restarted gateway listens on a new port: its clients' proxy follows it there.
        await gateway.process.start();
        gateway.front.setTarget(gateway.process.url);
      };
    }
    if (e.kind === 'partition-nats') {
      const proxy = this.targets.natsProxy;
      if (!proxy) throw new Error('partition-nats: the run has no proxy in front of NATS');
      proxy.set({ partition: true });
      return async () => proxy.set({});
    }
    if (e.kind === 'restart-nats' || e.kind === 'restart-postgres') {
      const server = e.kind === 'restart-nats' ? this.targets.nats : this.targets.postgres;
      if (!server) throw new Error(`${e.kind}: the run has no private server to restart`);
      await server.stop();
      return () => server.start();
    }
    const i = Number(e.target);
    const proxy = this.targets.proxies[i]!;
    if (e.kind === 'kernel-bandwidth' || e.kind === 'kernel-partition') {
      const link = this.targets.links?.[i];
      if (!link) throw new Error(`${e.kind}: the run has no kernel link to backend ${i}`);
      if (e.kind === 'kernel-partition') {
        await link.partition();
        return () => link.heal();
      }
      await link.setBandwidth(e.network!.bandwidth!);
      return () => link.removeBandwidthCap();
    }
    switch (e.kind) {
      case 'freeze-short':
      case 'freeze-long':
        this.processes[i]!.kill('SIGSTOP');
        return async () => {
          this.processes[i]!.kill('SIGCONT');
        };
      case 'kill-restart': {
        const old = this.processes[i]!;
        old.kill('SIGKILL');
        return async () => {
          const backend = this.targets.backends[i]!;
          const dir = backend.dir ?? join('/nonexistent', backend.name);
          this.processes[i] = await retryWhileAddressInUse(
            () => startS3rver({ dir, port: old.port, buckets: [BACKEND_BUCKET] }),
            mentionsAddressInUse,
          );
        };
      }
      default:
        proxy.set(e.network!);
        return async () => proxy.set({});
    }
  }

  /** Stops the backends this injector restarted (the harness stops the ones it started). */
  async stopRestarted(): Promise<void> {
    await Promise.all(this.processes.filter((p, i) => p !== this.targets.backends[i]!.process).map((p) => p.stop()));
  }
}
