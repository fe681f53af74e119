// @s3o/bench: the benchmark harness behind `npm run bench` (issue 9).
export { benchMain, type BenchMainResult } from './cli.js';
export { runBench, scenarioPlan, type BenchOptions } from './run.js';
export { FULL_PROFILE, QUICK_PROFILE, profileNamed, type BenchProfile } from './profiles.js';
export { buildScenarios, type Scenario, type Endpoint, type Side, type Metric } from './scenarios.js';
export { singleProcessMode } from './modes/single-process.js';
export { distributedMode } from './modes/distributed.js';
export { createBenchClient, createSpreadClient, type BenchClient } from './s3-client.js';
export type { GatewayMode, GatewayStartOptions, RunningGateway, BackendUnderTest, VirtualBucket, SeedReport } from './modes/mode.js';
export { startBackend, BACKEND_KINDS, type BackendKind, type RunningBackend } from './backends.js';
export { createSinkServer } from './sink/server.js';
export { startSink, type SinkProcess } from './sink/process.js';
export { runLoad, type LoadSpec, type LoadResult } from './load.js';
export { ProcessProbe, type ProcessUsage } from './process-probe.js';
export { renderTextTable, renderMarkdown } from './report/format.js';
export { checkGoals, type GoalCheck } from './report/goals.js';
export { writeReport } from './report/write.js';
export type { BenchReport, ResultRow, SideResult, BackendRun } from './report/model.js';
export { summarizeCpuProfile, type CpuProfileSummary } from './cpu-profile.js';
export {
  BACKEND_CLIENT_SCENARIO, backendClientScenarios, runBackendClientBench, renderBackendClientMarkdown, renderBackendClientText,
  writeBackendClientReport, type BackendClientReport, type ClientName, type ClientResult, type ClientRow,
} from './backend-client/index.js';
export { compareReports, readReport, renderComparisonText, renderComparisonMarkdown, type Comparison, type RowChange } from './report/compare.js';
export { rowCpu, hopCpu, type RowCpu, type HopCpu } from './report/cpu.js';
export { calibrate, type Calibration } from './calibrate.js';
export { bulkSeed, seedTemplate, scaleKey, type ScaleSeedTarget } from './scale/bulk-seed.js';
export { openRawPostgres, openRawSqlite, type RawLedger, type ScaleEngine } from './scale/raw-ledger.js';
export { runScale, type ScaleReport, type ScalePoint } from './scale/run.js';
export { checkListTarget, renderScaleMarkdown } from './scale/report.js';
export { scaleChartSvg } from './scale/chart.js';
