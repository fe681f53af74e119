// The performance targets the project set itself, checked against a run's rows.
import type { BackendKind } from '../backends.js';
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
  evaluate(row: ResultRow): { measured: string; met: boolean } | null;
}

const MiB = 1024 * 1024;

function ratioAtLeast(min: number): Goal['evaluate'] {
  return (row) => (row.ratio === null ? null : { measured: `${row.ratio.toFixed(2)} × direct`, met: row.ratio >= min });
}

const GOALS: Goal[] = [
  { text: 'large-object GET ≥ 0.9 × direct throughput (sink)', scenarioIds: ['get-large-c1', 'get-large-c4'], backends: ['sink'], evaluate: ratioAtLeast(0.9) },
  { text: 'large-object PUT ≥ 0.85 × direct throughput (sink)', scenarioIds: ['put-large-c1', 'put-large-c4'], backends: ['sink'], evaluate: ratioAtLeast(0.85) },
  { text: '4 KiB PUT ≥ 0.5 × direct ops/s (SQLite)', scenarioIds: ['put-small-c1', 'put-small-c16'], backends: ['sink', 's3rver'], evaluate: ratioAtLeast(0.5) },
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
      const result = goal.evaluate(row);
      if (result) checks.push({ goal: goal.text, row: `${row.title} (${row.backend})`, ...result });
    }
  }
  return checks;
}
