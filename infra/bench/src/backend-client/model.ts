// The shape of a backend-client comparison, as written to JSON and rendered to tables.
import type { CommitInfo, MachineInfo } from '../machine.js';
import type { LatencySummary } from '../stats.js';
import type { BenchProfile } from '../profiles.js';

export type ClientName = 'ours' | 'sdk';

export interface ClientResult {
  ops: number;
  errors: number;
  firstError: string | null;
  /** payload bytes moved by successful operations */
  bytes: number;
  /** length of the measured phases */
  seconds: number;
  opsPerSec: number;
  /** payload MB/s, MB = 10^6 bytes */
  mbPerSec: number;
  latency: LatencySummary;
  /** CPU seconds during the measured phases: this process (the client) and the sink backend */
  cpuSeconds: { client: number; backend: number };
  /** this process's CPU per successful operation, µs */
  clientCpuUsPerOp: number | null;
  /** this process's CPU per MB of payload, ms */
  clientCpuMsPerMB: number | null;
}

export interface ClientRow {
  scenarioId: string;
  title: string;
  /** the headline figure: ops/s (small objects) or MB/s (large ones) */
  metric: 'ops' | 'throughput';
  objectBytes: number;
  concurrency: number;
  ours: ClientResult;
  sdk: ClientResult;
  /** ours / SDK of the headline figure */
  ratio: number | null;
  /** ours / SDK of the client CPU per operation (below 1: ours costs less) */
  cpuRatio: number | null;
}

export interface BackendClientReport {
  format: 1;
  kind: 'backend-client';
  profile: BenchProfile['name'];
  startedAt: string;
  finishedAt: string;
  commit: CommitInfo;
  machine: MachineInfo;
  loadAverageAtEnd: number;
  backend: string;
  clients: Record<ClientName, string>;
  rows: ClientRow[];
}
