// CPU per operation of the hop (gateway or pass-through proxy): the headline cost figure.
// Throughput on a shared machine follows whoever else is running; the CPU time a process
// spends per operation does not, so the gateway is judged on gateway CPU ÷ proxy CPU
// measured in the same run. Computed from `SideResult.cpuSeconds`, so results written
// before these columns existed can be compared too.
import type { Metric } from '../scenarios.js';
import type { ResultRow, SideResult } from './model.js';

/** /proc/<pid>/stat counts CPU time in clock ticks of 10 ms (USER_HZ = 100). */
export const CPU_TICK_SECONDS = 0.01;
/**
 * A figure whose hop spent fewer ticks than this is flagged as coarse: two reads of the
 * counter, each ±1 tick, make its error up to 2 ticks (±2 % at 100 ticks).
 */
export const PRECISE_CPU_TICKS = 100;

export type CpuUnit = 'µs/op' | 'ms/MB';

export interface HopCpu {
  /** µs per operation (ops and latency rows) or ms per MB (10⁶ bytes; throughput rows) */
  perUnit: number;
  /** whole CPU seconds the figure comes from: fewer than PRECISE_CPU_TICKS ticks is coarse */
  cpuSeconds: number;
  coarse: boolean;
}

export interface RowCpu {
  unit: CpuUnit;
  gateway: HopCpu | null;
  proxy: HopCpu | null;
  /** gateway ÷ proxy; null when either is missing */
  ratio: number | null;
}

export function cpuUnit(metric: Metric): CpuUnit {
  return metric === 'throughput' ? 'ms/MB' : 'µs/op';
}

export function hopCpu(metric: Metric, side: SideResult | null): HopCpu | null {
  const seconds = side?.cpuSeconds.hop;
  if (!side || seconds == null || side.ops === 0) return null;
  const perUnit = metric === 'throughput'
    ? (side.bytes > 0 ? (seconds * 1e3) / (side.bytes / 1e6) : Number.NaN)
    : (seconds * 1e6) / side.ops;
  if (!Number.isFinite(perUnit)) return null;
  return { perUnit, cpuSeconds: seconds, coarse: seconds / CPU_TICK_SECONDS < PRECISE_CPU_TICKS };
}

export function rowCpu(row: Pick<ResultRow, 'metric' | 'gateway' | 'proxy'>): RowCpu {
  const gateway = hopCpu(row.metric, row.gateway);
  const proxy = hopCpu(row.metric, row.proxy);
  return {
    unit: cpuUnit(row.metric),
    gateway,
    proxy,
    ratio: gateway && proxy && proxy.perUnit > 0 ? gateway.perUnit / proxy.perUnit : null,
  };
}
