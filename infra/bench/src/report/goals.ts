// The performance targets the project set itself (issue 21), checked against a run's rows.
// Cost is judged as the gateway's CPU per operation (per MB for large objects) against the
// pass-through proxy's in the same run — steady on a shared machine, where throughput is not.
import type { BackendKind } from '../backends.js';
import type { Calibration } from '../calibrate.js';
import type { BenchReport, ResultRow } from './model.js';

export interface GoalCheck {
  goal: string;
  /** the row the figure comes from */
  row: string;
  /** the measured figure, formatted */
  measured: string;
  met: boolean;
}

interface Goal {
  text: string;
  scenarioIds: string[];
  backends: BackendKind[];
  /** the figure and whether it meets the goal; null when the row lacks the data */
  evaluate(row: ResultRow, calibration: Calibration | undefined): { measured: string; met: boolean } | null;
}

const MiB = 1024 * 1024;

function cpuRatioAtMost(max: number): Goal['evaluate'] {
  return (row) => {
    const { cpu } = row;
    if (!cpu?.gateway || !cpu.proxy || cpu.ratio === null) return null;
    const digits = cpu.unit === 'ms/MB' ? 2 : 0;
    return {
      measured: `${cpu.ratio.toFixed(2)} × proxy (${cpu.gateway.perUnit.toFixed(digits)} vs ${cpu.proxy.perUnit.toFixed(digits)} ${cpu.unit})`,
      met: cpu.ratio <= max,
    };
  };
}

function throughputToProxyAtLeast(min: number): Goal['evaluate'] {
  return (row) => (row.ratioToProxy === null ? null : { measured: `${row.ratioToProxy.toFixed(2)} × proxy`, met: row.ratioToProxy >= min });
}

const GOALS: Goal[] = [
  { text: 'CPU per 4 KiB PUT ≤ 2.0 × the proxy\'s', scenarioIds: ['put-small-c1', 'put-small-c16'], backends: ['sink'], evaluate: cpuRatioAtMost(2.0) },
  { text: 'CPU per 4 KiB GET ≤ 1.5 × the proxy\'s', scenarioIds: ['get-small-c1', 'get-small-c16'], backends: ['sink'], evaluate: cpuRatioAtMost(1.5) },
  { text: 'CPU per HEAD ≤ 1.3 × the proxy\'s', scenarioIds: ['head-small-c1', 'head-small-c16'], backends: ['sink'], evaluate: cpuRatioAtMost(1.3) },
  { text: 'CPU per MB of large GET ≤ 1.3 × the proxy\'s', scenarioIds: ['get-large-c1', 'get-large-c4'], backends: ['sink'], evaluate: cpuRatioAtMost(1.3) },
  {
    text: 'CPU per MB of large PUT ≤ the proxy\'s + MD5\'s own',
    scenarioIds: ['put-large-c1', 'put-large-c4'],
    backends: ['sink'],
    evaluate: (row, calibration) => {
      const { cpu } = row;
      if (!cpu?.gateway || !cpu.proxy || !calibration) return null;
      const allowed = cpu.proxy.perUnit + calibration.md5MsPerMB;
      return {
        measured: `${cpu.gateway.perUnit.toFixed(2)} ms/MB vs ${cpu.proxy.perUnit.toFixed(2)} + ${calibration.md5MsPerMB.toFixed(2)} (MD5) = ${allowed.toFixed(2)}`,
        met: cpu.gateway.perUnit <= allowed,
      };
    },
  },
  { text: 'large GET ≥ 0.9 × the proxy\'s MB/s', scenarioIds: ['get-large-c1', 'get-large-c4'], backends: ['sink'], evaluate: throughputToProxyAtLeast(0.9) },
  { text: '4 KiB PUT at concurrency 16 ≥ 0.7 × the proxy\'s ops/s', scenarioIds: ['put-small-c16'], backends: ['sink'], evaluate: throughputToProxyAtLeast(0.7) },
  {
    text: 'gateway peak RSS < 256 MiB during 4 concurrent 256 MiB uploads',
    scenarioIds: ['put-concurrent'],
    backends: ['sink', 's3rver'],
    evaluate: (row) => {
      const peak = row.gateway?.peakRssBytes;
      return peak == null ? null : { measured: `${(peak / MiB).toFixed(1)} MiB`, met: peak < 256 * MiB };
    },
  },
  {
    text: 'LIST p99 < 50 ms at 100,000 objects',
    scenarioIds: ['list'],
    backends: ['sink'],
    // Judged on the time to the last byte: the SDK's XML parsing is the client's cost, not the gateway's.
    evaluate: (row) => {
      const side = row.gateway;
      if (!side?.timeToLastByte) return null;
      const p99 = side.timeToLastByte.p99Ms;
      return { measured: `p99 ${p99.toFixed(1)} ms to last byte (${side.latency.p99Ms.toFixed(1)} ms with SDK parsing)`, met: p99 < 50 };
    },
  },
];

export function checkGoals(report: BenchReport): GoalCheck[] {
  const checks: GoalCheck[] = [];
  for (const goal of GOALS) {
    for (const row of report.rows) {
      if (!goal.scenarioIds.includes(row.scenarioId) || !goal.backends.includes(row.backend)) continue;
      const result = goal.evaluate(row, report.calibration);
      if (result) checks.push({ goal: goal.text, row: `${row.title} (${row.backend})`, ...result });
    }
  }
  return checks;
}
