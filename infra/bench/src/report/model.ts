// The shape of a benchmark result, as written to JSON and rendered to tables.
import type { BackendKind } from '../backends.js';
import type { MachineInfo, CommitInfo } from '../machine.js';
import type { SeedReport } from '../modes/mode.js';
import type { IdentitySeedReport } from '../modes/seed-identity.js';
import type { BenchProfile } from '../profiles.js';
import type { ChecksumMode } from '../s3-client.js';
import type { Metric } from '../scenarios.js';
import type { LatencySummary } from '../stats.js';
import type { CpuProfileSummary } from '../cpu-profile.js';
import type { Calibration } from '../calibrate.js';
import type { RowCpu } from './cpu.js';

export interface SideResult {
  ops: number;
  errors: number;
  firstError: string | null;
  /** payload bytes moved by successful operations */
  bytes: number;
  /** length of the measured phase */
  seconds: number;
  opsPerSec: number;
  /** payload MB/s, MB = 10^6 bytes */
  mbPerSec: number;
  latency: LatencySummary;
  /** request sent → last response byte, before the SDK parses the body (LIST only) */
  timeToLastByte: LatencySummary | null;
  /**
   * CPU seconds each process spent during the measured phase; `hop` is the process between
   * client and backend (the proxy or the gateway), null when there is none (direct).
   */
  cpuSeconds: { client: number; backend: number; hop: number | null };
  /** the hop's peak RSS during the measured phase; null for direct */
  peakRssBytes: number | null;
  peakRssSource: 'VmHWM' | 'sampled' | null;
  /** the hop process's own minor page faults during the measured phase; null for direct, absent in older results */
  hopMinorFaults?: number | null;
  /** CPU seconds of the hop process's threads other than the main one (GC helpers, libuv's pool); null for direct, absent in older results */
  hopOffMainCpuSeconds?: number | null;
}

export interface ResultRow {
  scenarioId: string;
  title: string;
  metric: Metric;
  backend: BackendKind;
  gatewayChecksums: ChecksumMode;
  direct: SideResult | null;
  proxy: SideResult | null;
  gateway: SideResult | null;
  /** gateway / direct of the headline figure (ops/s or MB/s); null for absolute (latency) rows */
  ratio: number | null;
  /** gateway / pass-through proxy: the share of what an extra Node hop allows that the gateway reaches */
  ratioToProxy: number | null;
  /** the hops' CPU per operation (per MB for throughput rows) and gateway ÷ proxy: the headline cost */
  cpu: RowCpu;
}

export interface BackendRun {
  kind: BackendKind;
  description: string;
  /** the gateway's RSS once ready, before any scenario */
  gatewayIdleRssBytes: number;
  /** the pass-through proxy's RSS once ready */
  proxyIdleRssBytes: number;
  seed: SeedReport | null;
  /** users and grants loaded before the gateway started; null when none */
  identitySeed: IdentitySeedReport | null;
  /** when the gateway ran with --cpu-prof */
  cpuProfile: CpuProfileSummary | null;
}

export interface BenchReport {
  format: 1;
  profile: BenchProfile;
  mode: { name: string; description: string };
  startedAt: string;
  finishedAt: string;
  commit: CommitInfo;
  machine: MachineInfo;
  /** MD5's own CPU cost on this machine, measured at the start of the run */
  calibration: Calibration;
  loadAverageAtEnd: number;
  /** the Node version the gateway and the proxy ran on (`--node 24`); absent in older results = `machine.node` */
  hopNode?: string;
  /** what the gateway ran with beyond the defaults (`--encryption`, `--integrity`); absent in older results */
  gatewayFeatures?: string[];
  client: string;
  backends: BackendRun[];
  rows: ResultRow[];
}
