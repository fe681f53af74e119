// One benchmark run: for each backend, start it, a pass-through proxy and a gateway in front
// of it, then run every scenario directly, through the proxy and through the gateway,
// measuring every process meanwhile.
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKEND_DESCRIPTIONS, BACKEND_KINDS, startBackend, type BackendKind } from './backends.js';
import { summarizeCpuProfile, type CpuProfileSummary } from './cpu-profile.js';
import { commitInfo, currentLoadAverage, machineInfo } from './machine.js';
import type { GatewayMode, RunningGateway, VirtualBucket } from './modes/mode.js';
import { singleProcessMode } from './modes/single-process.js';
import type { IdentityLoad } from './modes/seed-identity.js';
import { warmHop } from './hop-warmup.js';
import { startPassthrough, type PassthroughProcess } from './passthrough/process.js';
import { ownCpuWindow, ProcessProbe, type ProcessUsage } from './process-probe.js';
import type { BenchProfile } from './profiles.js';
import type { BackendRun, BenchReport, ResultRow, SideResult } from './report/model.js';
import { createBenchClient, createSpreadClient, type BenchClient, type ChecksumMode } from './s3-client.js';
import { buildScenarios, type Endpoint, type Phase, type PhaseResult, type Scenario, type Side } from './scenarios.js';
import { summarizeLatencies } from './stats.js';
import { calibrate } from './calibrate.js';
import type { HopRuntime } from './node-runtime.js';
import { rowCpu } from './report/cpu.js';
import { faultsPerMB, offMainPerMB } from './report/format.js';

export interface BenchOptions {
  profile: BenchProfile;
  /** default: single-process */
  mode?: GatewayMode;
  /** default: every kind */
  backends?: readonly BackendKind[];
  /** only these scenario ids (default: all) */
  scenarioIds?: readonly string[];
  /** run the gateway with --cpu-prof and write the profiles here */
  cpuProfileDir?: string;
  /** more flags for the gateway's Node (`--gateway-node-flags`), e.g. a V8 heap setting under test */
  gatewayNodeFlags?: string[];
  /** turn the gateway's tracing on, every trace sampled and exported to this OTLP/HTTP endpoint */
  tracingEndpoint?: string;
  /** users and grants loaded into the ledger before each gateway starts (docs/performance.md, "Identity load") */
  identityLoad?: IdentityLoad;
  /** turn the gateway's encryption at rest on */
  encryption?: boolean;
  /** turn the gateway's integrity (SHA-256 recorded at write, checked on whole reads) on */
  integrity?: boolean;
  /** run the hops (gateway and pass-through proxy) on this Node instead of the benchmark's (`--node 24`) */
  hopRuntime?: HopRuntime | null;
  /** progress lines; default: stderr */
  log?: (line: string) => void;
}

const OBJECTS_BUCKET: VirtualBucket = { name: 'bench', credentials: { accessKeyId: 'bench-objects', secretAccessKey: 'bench-objects-secret' } };
const LISTING_BUCKET: VirtualBucket = { name: 'bench-list', credentials: { accessKeyId: 'bench-listing', secretAccessKey: 'bench-listing-secret' } };

/**
 * Which scenarios run against which backend. The SDK-default-checksum variants and LIST
 * measure the gateway alone (decoding/verifying checksums; the ledger), so the fast sink is
 * enough; s3rver repeats the core set to show how a slow backend hides the gateway's cost.
 */
function runsOn(kind: BackendKind, scenario: Scenario): boolean {
  if (kind === 'sink') return true;
  return scenario.id !== 'list' && scenario.gatewayChecksums === 'when-required';
}

/** The rows a run produces, in order: every selected scenario on every backend it runs on. */
export function scenarioPlan(
  profile: BenchProfile,
  backends: readonly BackendKind[] = BACKEND_KINDS,
  scenarioIds?: readonly string[],
): Array<{ backend: BackendKind; scenarios: Scenario[] }> {
  const scenarios = buildScenarios(profile).filter((s) => !scenarioIds || scenarioIds.includes(s.id));
  return backends
    .map((backend) => ({ backend, scenarios: scenarios.filter((s) => runsOn(backend, s)) }))
    .filter((p) => p.scenarios.length > 0);
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const mode = options.mode ?? singleProcessMode;
  const startedAt = new Date();
  const machine = machineInfo();
  // Taken first: the code measured is the code checked out when the run began.
  const commit = commitInfo();
  const calibration = calibrate();
  const workRoot = await mkdtemp(join(tmpdir(), 's3o-bench-'));
  // An interrupted run (Ctrl-C exits the process) must not leave gigabytes of s3rver data behind.
  const removeWorkRoot = () => rmSync(workRoot, { recursive: true, force: true });
  process.once('exit', removeWorkRoot);
  const rows: ResultRow[] = [];
  const backendRuns: BackendRun[] = [];
  try {
    for (const { backend: kind, scenarios } of scenarioPlan(options.profile, options.backends, options.scenarioIds)) {
      const workDir = join(workRoot, kind);
      await mkdir(workDir, { recursive: true });
      const { run, rows: backendRows } = await benchBackend(kind, scenarios, { ...options, mode, log, workDir });
      backendRuns.push(run);
      rows.push(...backendRows);
    }
  } finally {
    process.off('exit', removeWorkRoot);
    await rm(workRoot, { recursive: true, force: true });
  }
  return {
    format: 1,
    profile: options.profile,
    mode: { name: mode.name, description: mode.description },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    commit,
    machine,
    calibration,
    loadAverageAtEnd: currentLoadAverage(),
    hopNode: options.hopRuntime?.version ?? machine.node,
    gatewayFeatures: [
      ...(options.encryption ? ['encryption'] : []),
      ...(options.integrity ? ['integrity'] : []),
      ...(options.gatewayNodeFlags?.length ? [`Node flags ${options.gatewayNodeFlags.join(' ')}`] : []),
    ],
    client: 'AWS SDK for JavaScript v3 (@aws-sdk/client-s3 3.1175.0), keep-alive agent, maxAttempts 1, in the benchmark process',
    backends: backendRuns,
    rows,
  };
}

interface BackendBenchContext {
  profile: BenchProfile;
  mode: GatewayMode;
  log: (line: string) => void;
  workDir: string;
  cpuProfileDir?: string;
  gatewayNodeFlags?: string[];
  tracingEndpoint?: string;
  identityLoad?: IdentityLoad;
  encryption?: boolean;
  integrity?: boolean;
  hopRuntime?: HopRuntime | null;
}

async function benchBackend(kind: BackendKind, scenarios: Scenario[], ctx: BackendBenchContext): Promise<{ run: BackendRun; rows: ResultRow[] }> {
  const wantsListing = scenarios.some((s) => s.id === 'list');
  const listingObjects = wantsListing ? ctx.profile.list.objects : 0;
  const profileDir = ctx.cpuProfileDir ? join(ctx.cpuProfileDir, kind) : null;
  if (profileDir) await mkdir(profileDir, { recursive: true });

  const backend = await startBackend(kind, ctx.workDir);
  const clients: BenchClient[] = [];
  let proxy: PassthroughProcess | null = null;
  let gateway: RunningGateway | null = null;
  try {
    proxy = await startPassthrough(backend.endpoint, ctx.hopRuntime ?? null);
    if (listingObjects > 0) ctx.log(`[bench] ${kind}: seeding ${listingObjects} objects into the ledger…`);
    gateway = await ctx.mode.start({
      workDir: ctx.workDir,
      backend,
      objectsBucket: OBJECTS_BUCKET,
      listingBucket: LISTING_BUCKET,
      listingObjects,
      nodeFlags: [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...(ctx.gatewayNodeFlags ?? [])],
      tracingEndpoint: ctx.tracingEndpoint ?? null,
      identityLoad: ctx.identityLoad ?? null,
      encryption: ctx.encryption ?? false,
      integrity: ctx.integrity ?? false,
      runtime: ctx.hopRuntime ?? null,
    });
    if (gateway.seed) ctx.log(`[bench] ${kind}: seeded ${gateway.seed.objects} objects in ${gateway.seed.seconds.toFixed(1)} s`);
    const probes: Record<Side, ProcessProbe | null> = {
      direct: null,
      proxy: new ProcessProbe(proxy.pid),
      gateway: new ProcessProbe(gateway.pid),
    };
    const backendProbe = new ProcessProbe(backend.pid);
    const idleRss = { gateway: probes.gateway!.memory().rssBytes, proxy: probes.proxy!.memory().rssBytes };

    const direct = track(clients, createBenchClient(backend.endpoint, backend.credentials, 'when-required'));
    const proxied = track(clients, createBenchClient(proxy.endpoint, backend.credentials, 'when-required'));
    const gatewayUrls = gateway.urls ?? [gateway.url];
    const gatewayClients = new Map<ChecksumMode, BenchClient>();
    const gatewayClient = (checksums: ChecksumMode): BenchClient => {
      let client = gatewayClients.get(checksums);
      if (!client) gatewayClients.set(checksums, (client = track(clients, createSpreadClient(gatewayUrls, OBJECTS_BUCKET.credentials, checksums))));
      return client;
    };
    const listingClient = track(clients, createBenchClient(gateway.url, LISTING_BUCKET.credentials, 'when-required'));

    if (ctx.profile.hopWarmupMs > 0) {
      for (const [side, client, bucket] of [['proxy', proxied, backend.bucket], ['gateway', gatewayClient('when-required'), OBJECTS_BUCKET.name]] as const) {
        const ops = await warmHop(client.s3, bucket, ctx.profile.hopWarmupMs);
        ctx.log(`[bench] ${kind}: ${side} warmed up with ${ops} unmeasured 4 KiB PUT/GET/HEAD in ${(ctx.profile.hopWarmupMs / 1000).toFixed(0)} s`);
      }
    }

    const rows: ResultRow[] = [];
    for (const scenario of scenarios) {
      const endpoints: Record<Side, Endpoint> = {
        direct: { side: 'direct', s3: direct.s3, bucket: backend.bucket, listing: null },
        proxy: { side: 'proxy', s3: proxied.s3, bucket: backend.bucket, listing: null },
        gateway: {
          side: 'gateway', s3: gatewayClient(scenario.gatewayChecksums).s3, bucket: OBJECTS_BUCKET.name,
          listing: listingObjects > 0 ? { s3: listingClient.s3, bucket: LISTING_BUCKET.name, objects: listingObjects } : null,
        },
      };
      const phases: Partial<Record<Side, Phase>> = {};
      for (const side of scenario.sides) phases[side] = await scenario.prepare(endpoints[side]);
      const slices: Partial<Record<Side, SliceMeasurement[]>> = {};
      for (let i = 0; i < scenario.slices; i++) {
        for (const side of scenario.sides) {
          const extra = side === 'gateway' && gateway.extraCpuPids ? await gateway.extraCpuPids() : [];
          (slices[side] ??= []).push(await measureSlice(phases[side]!, { backend: backendProbe, hop: probes[side], extraHopPids: extra }));
        }
      }
      const results: Partial<Record<Side, SideResult>> = {};
      for (const side of scenario.sides) {
        results[side] = sideResult(`${scenario.title} (${side})`, slices[side]!);
        ctx.log(`[bench] ${kind} · ${scenario.title} · ${side}: ${progressLine(results[side]!)}`);
      }
      rows.push(resultRow(kind, scenario, results));
    }

    for (const client of clients) client.close();
    clients.length = 0;
    await gateway.stop();
    const cpuProfile = profileDir ? await newestProfileSummary(profileDir) : null;
    const run: BackendRun = {
      kind, description: BACKEND_DESCRIPTIONS[kind], gatewayIdleRssBytes: idleRss.gateway, proxyIdleRssBytes: idleRss.proxy,
      seed: gateway.seed, identitySeed: gateway.identitySeed, cpuProfile,
    };
    return { run, rows };
  } finally {
    for (const client of clients) client.close();
    await gateway?.stop();
    await proxy?.stop();
    await backend.stop();
  }
}

function track(clients: BenchClient[], client: BenchClient): BenchClient {
  clients.push(client);
  return client;
}

/** One slice of one side, with what every process spent meanwhile. */
interface SliceMeasurement {
  load: PhaseResult;
  clientCpuSeconds: number;
  backend: ProcessUsage;
  hop: ProcessUsage | null;
}

async function measureSlice(
  phase: Phase,
  probes: { backend: ProcessProbe; hop: ProcessProbe | null; extraHopPids: number[] },
): Promise<SliceMeasurement> {
  // The windows open again when the phase's warm-up is over: its operations are not counted,
  // so neither may their CPU be.
  const open = () => ({
    client: ownCpuWindow(),
    backend: probes.backend.window(),
    hop: probes.hop ? groupWindow(probes.hop, probes.extraHopPids) : null,
  });
  let windows = open();
  let load: PhaseResult;
  let backend: ProcessUsage;
  let hop: ProcessUsage | null;
  try {
    load = await phase(() => {
      windows = open();
    });
  } finally {
    backend = windows.backend.end();
    hop = windows.hop?.end() ?? null;
  }
  return { load, clientCpuSeconds: windows.client.end(), backend, hop };
}

/**
 * The hop's window with the CPU of `extra` processes added (distributed mode: the other
 * gateways and services, the database's server processes). Peak RSS stays the hop's own.
 * A process that exits during the window counts what it had spent until its last reading.
 */
function groupWindow(hop: ProcessProbe, extra: number[]): { end(): ProcessUsage } {
  const probes = extra.map((pid) => new ProcessProbe(pid));
  const cpu = (p: ProcessProbe, fallback: number) => { try { return p.cpuSeconds(); } catch { return fallback; } };
  const start = probes.map((p) => cpu(p, 0));
  const window = hop.window();
  return {
    end: () => {
      const usage = window.end();
      const more = probes.reduce((n, p, i) => n + (cpu(p, start[i]!) - start[i]!), 0);
      return { ...usage, cpuSeconds: usage.cpuSeconds + more };
    },
  };
}

/** The slices of one side added up. */
function sideResult(what: string, slices: SliceMeasurement[]): SideResult {
  const sum = (f: (s: SliceMeasurement) => number) => slices.reduce((n, s) => n + f(s), 0);
  const ops = sum((s) => s.load.ops);
  const firstError = slices.find((s) => s.load.firstError !== null)?.load.firstError ?? null;
  if (ops === 0) throw new Error(`${what}: every operation failed: ${firstError}`);
  const seconds = sum((s) => s.load.seconds);
  const bytes = sum((s) => s.load.bytes);
  const ttlb = slices.flatMap((s) => s.load.timeToLastByteMs ?? []);
  const hops = slices.map((s) => s.hop).filter((h): h is ProcessUsage => h !== null);
  return {
    ops,
    errors: sum((s) => s.load.errors),
    firstError,
    bytes,
    seconds,
    opsPerSec: ops / seconds,
    mbPerSec: bytes / seconds / 1e6,
    latency: summarizeLatencies(slices.flatMap((s) => s.load.latenciesMs)),
    timeToLastByte: slices.some((s) => s.load.timeToLastByteMs) ? summarizeLatencies(ttlb) : null,
    cpuSeconds: {
      client: sum((s) => s.clientCpuSeconds),
      backend: sum((s) => s.backend.cpuSeconds),
      hop: hops.length ? hops.reduce((n, h) => n + h.cpuSeconds, 0) : null,
    },
    peakRssBytes: hops.length ? Math.max(...hops.map((h) => h.peakRssBytes)) : null,
    peakRssSource: hops[0]?.peakSource ?? null,
    hopMinorFaults: hops.length ? hops.reduce((n, h) => n + h.minorFaults, 0) : null,
    hopOffMainCpuSeconds: hops.length ? hops.reduce((n, h) => n + h.offMainCpuSeconds, 0) : null,
  };
}

function resultRow(kind: BackendKind, scenario: Scenario, results: Partial<Record<Side, SideResult>>): ResultRow {
  const figure = (s: SideResult) => (scenario.metric === 'ops' ? s.opsPerSec : s.mbPerSec);
  const ratio = (a: SideResult | undefined, b: SideResult | undefined) =>
    a && b && scenario.metric !== 'latency' ? figure(a) / figure(b) : null;
  const sides = { direct: results.direct ?? null, proxy: results.proxy ?? null, gateway: results.gateway ?? null };
  return {
    scenarioId: scenario.id, title: scenario.title, metric: scenario.metric, backend: kind,
    gatewayChecksums: scenario.gatewayChecksums,
    ...sides,
    ratio: ratio(results.gateway, results.direct),
    ratioToProxy: ratio(results.gateway, results.proxy),
    cpu: rowCpu({ metric: scenario.metric, ...sides }),
  };
}

function progressLine(r: SideResult): string {
  const errors = r.errors ? `, ${r.errors} errors (${r.firstError})` : '';
  const faults = r.hopMinorFaults == null ? '' : `, ${faultsPerMB(r)} page faults/MB, ${offMainPerMB(r)} ms/MB off the main thread`;
  return `${r.ops} ops in ${r.seconds.toFixed(1)} s, ${r.opsPerSec.toFixed(0)} ops/s, ${r.mbPerSec.toFixed(1)} MB/s, ` +
    `p50 ${r.latency.p50Ms.toFixed(2)} ms, p99 ${r.latency.p99Ms.toFixed(2)} ms${faults}${errors}`;
}

/** The profile the gateway wrote when it exited (one per process; the newest is this run's). */
async function newestProfileSummary(dir: string): Promise<CpuProfileSummary | null> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const newest = files[files.length - 1];
  return newest ? summarizeCpuProfile(join(dir, newest)) : null;
}
