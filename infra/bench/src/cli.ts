// `npm run bench [-- --quick] [--out DIR] [--backends sink,s3rver] [--scenarios id,…] [--cpu-prof] [--mode distributed --gateways N]`
import { join } from 'node:path';
import {
  BACKEND_CLIENT_SCENARIO, renderBackendClientText, runBackendClientBench, writeBackendClientReport, type BackendClientReport,
} from './backend-client/index.js';
import { parseArgs } from 'node:util';
import { BACKEND_KINDS, type BackendKind } from './backends.js';
import { QUICK_RESULTS_DIR, RESULTS_DIR } from './paths.js';
import { FULL_PROFILE, PROFILE_NAMES, profileNamed, type ProfileName } from './profiles.js';
import { buildScenarios } from './scenarios.js';
import { renderTextTable } from './report/format.js';
import { checkGoals } from './report/goals.js';
import type { BenchReport } from './report/model.js';
import { writeReport } from './report/write.js';
import { compareReports, readReport, renderComparisonMarkdown, renderComparisonText } from './report/compare.js';
import { runBench } from './run.js';
import { node24Runtime, SUPPORTED_HOP_NODES, type HopRuntime } from './node-runtime.js';
import { SCALE_ENGINES, type ScaleEngine } from './scale/raw-ledger.js';
import { runScale, type ScaleReport } from './scale/run.js';
import { checkListTarget, LIST_TARGET, writeScaleReport } from './scale/report.js';
import { renderSvgToPng } from './scale/png.js';
import { distributedMode } from './modes/distributed.js';
import { singleProcessMode } from './modes/single-process.js';

const USAGE = `usage: npm run bench -- [options]

  --quick              smoke run of about a minute (smaller objects, fewer operations);
                       results go to infra/bench/results/quick/ (not committed)
  --profile NAME       full (default), quick (= --quick) or cpu: quick's sizes with enough operations per
                       row for steady CPU-per-operation figures (a few minutes; results go with quick's)
  --out DIR            write the results here instead
  --backends LIST      comma-separated: ${BACKEND_KINDS.join(', ')} (default: all)
  --scenarios LIST     comma-separated scenario ids (default: all gateway scenarios);
                       \`${BACKEND_CLIENT_SCENARIO}\` compares our backend client with @aws-sdk/client-s3
                       against the sink (PUT/GET of small and large objects, one process), on its own
                       or besides the ids given
  --cpu-prof           run the gateway with --cpu-prof; profiles and their summary go with the results
  --gateway-node-flags=FLAGS  start the gateway's Node with these flags too (space-separated, e.g.
                       --gateway-node-flags=--initial-old-space-size=128); named in the results
  --compare BASE.json  after the run, print (and add to the markdown) the change of every row against
                       this earlier result: gateway figure, gateway CPU per operation, CPU gateway/proxy
  --against RUN.json   with --compare: compare this stored result instead of running anything
  --tracing URL        turn the gateway's tracing on (every trace sampled) exporting to this
                       OTLP/HTTP endpoint, to measure what tracing costs
  --identity-load      load 1,000 users (a stored credential each) and 10,000 grants into the
                       ledger before the gateway starts, to show authorisation does not move the rows
  --encryption         turn the gateway's encryption at rest on (a fixed benchmark key), to
                       measure what it costs (GET needs a backend that keeps bytes: s3rver)
  --integrity          turn the gateway's integrity on (SHA-256 of the plaintext recorded at
                       write, checked on whole reads), to measure what it costs
  --node 24            run the gateway and the pass-through proxy on Node 24 (scripts/node24.mjs
                       fetches it and builds better-sqlite3 for it once), client and backends on
                       this Node: compare with a run without it (--compare)
  --scale SIZES        instead of the scenarios: seed the ledger with each number of objects in
                       turn (comma-separated, e.g. 10000,100000,1000000) through a bulk path, and
                       time PUT/HEAD/GET/LIST and ledger bytes per object at each size; results go
                       to infra/bench/results/scale/ (chart as SVG and PNG)
  --scale-engines LIST sqlite,postgres (default: both; postgres needs S3O_TEST_PG_URL's server and
                       S3O_TEST_NATS_URL's JetStream, defaults 127.0.0.1:5432 and :4222)
  --scale-seconds N    measured seconds per operation and size (default 5)
  --mode NAME          single-process (default) or distributed: N gateway processes + placement,
                       cleanup, usage and notifier over Postgres (S3O_TEST_PG_URL) and NATS
                       JetStream (S3O_TEST_NATS_URL), a database and stream of the run's own;
                       the gateway side's CPU is all of them plus the run's Postgres processes
  --gateways N         with --mode distributed: how many gateways (default 1)
`;

export interface BenchMainResult {
  /** `--scale`: the scale run instead of the scenarios */
  scaleReport?: ScaleReport;
  scaleFiles?: { json: string; markdown: string; svg: string; png: string | null };
  exitCode: number;
  /** the gateway scenarios' run; null when none was asked for */
  report: BenchReport | null;
  files: { json: string; markdown: string } | null;
  /** the backend-client comparison, when `--scenarios` named it */
  clientReport?: BackendClientReport;
  clientFiles?: { json: string; markdown: string };
}

const OPTIONS = {
  quick: { type: 'boolean', default: false },
  profile: { type: 'string' },
  out: { type: 'string' },
  backends: { type: 'string' },
  scenarios: { type: 'string' },
  'cpu-prof': { type: 'boolean', default: false },
  'gateway-node-flags': { type: 'string' },
  tracing: { type: 'string' },
  'identity-load': { type: 'boolean', default: false },
  compare: { type: 'string' },
  against: { type: 'string' },
  encryption: { type: 'boolean', default: false },
  integrity: { type: 'boolean', default: false },
  node: { type: 'string' },
  scale: { type: 'string' },
  'scale-engines': { type: 'string' },
  'scale-seconds': { type: 'string' },
  mode: { type: 'string' },
  gateways: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function commaList(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim()).filter(Boolean);
}

export async function benchMain(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<BenchMainResult> {
  const refuse = (problem: string): BenchMainResult => {
    out(`${problem}\n\n${USAGE}`);
    return { exitCode: 1, report: null, files: null };
  };
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS });
  } catch (err) {
    return refuse((err as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    out(USAGE);
    return { exitCode: 0, report: null, files: null };
  }
  if (values.against && !values.compare) return refuse('--against needs --compare BASE.json');
  let base: BenchReport | null = null;
  if (values.compare) {
    try {
      base = await readReport(values.compare);
    } catch (err) {
      return refuse(`--compare ${values.compare}: ${(err as Error).message}`);
    }
  }
  if (base && values.against) {
    let stored: BenchReport;
    try {
      stored = await readReport(values.against);
    } catch (err) {
      return refuse(`--against ${values.against}: ${(err as Error).message}`);
    }
    out(`${renderComparisonText(compareReports(base, values.compare!, stored))}\n`);
    return { exitCode: 0, report: stored, files: null };
  }
  if (values.node !== undefined && !SUPPORTED_HOP_NODES.includes(values.node as '24')) {
    return refuse(`--node: only ${SUPPORTED_HOP_NODES.join(', ')} (the benchmark's own Node is the default)`);
  }
  let hopRuntime: HopRuntime | null = null;
  if (values.node === '24') hopRuntime = node24Runtime();
  if (values.scale !== undefined) return scaleMain(values, hopRuntime, out, refuse);
  const backends = commaList(values.backends);
  const unknownBackends = backends?.filter((b) => !BACKEND_KINDS.includes(b as BackendKind)) ?? [];
  if (unknownBackends.length) return refuse(`unknown backend(s): ${unknownBackends.join(', ')}`);
  const requested = commaList(values.scenarios);
  const knownIds = new Set([...buildScenarios(FULL_PROFILE).map((s) => s.id), BACKEND_CLIENT_SCENARIO]);
  const unknownIds = requested?.filter((id) => !knownIds.has(id)) ?? [];
  if (unknownIds.length) return refuse(`unknown scenario id(s): ${unknownIds.join(', ')}; known: ${[...knownIds].join(', ')}`);
  const profileName = values.profile ?? (values.quick ? 'quick' : 'full');
  if (!PROFILE_NAMES.includes(profileName as ProfileName)) return refuse(`unknown profile: ${profileName}; known: ${PROFILE_NAMES.join(', ')}`);
  if (values.quick && profileName !== 'quick') return refuse('--quick contradicts --profile');
  const profile = profileNamed(profileName as ProfileName);
  const modeName = values.mode ?? 'single-process';
  if (modeName !== 'single-process' && modeName !== 'distributed') return refuse(`unknown mode: ${modeName}; known: single-process, distributed`);
  if (values.gateways !== undefined && modeName !== 'distributed') return refuse('--gateways needs --mode distributed');
  const gatewayCount = Number(values.gateways ?? 1);
  if (!Number.isInteger(gatewayCount) || gatewayCount < 1) return refuse(`--gateways: expected a positive integer, got ${values.gateways}`);
  if (hopRuntime && modeName === 'distributed') return refuse('--node 24 runs the single-process mode only');
  const mode = modeName === 'distributed' ? distributedMode(gatewayCount) : singleProcessMode;
  const outDir = values.out ?? (profile.name === 'full' ? RESULTS_DIR : QUICK_RESULTS_DIR);

  const result: BenchMainResult = { exitCode: 0, report: null, files: null };
  if (requested?.includes(BACKEND_CLIENT_SCENARIO)) {
    const clientReport = await runBackendClientBench({ profile });
    const clientFiles = await writeBackendClientReport(clientReport, outDir);
    out(`\nbackend client, ours vs @aws-sdk/client-s3 (sink backend):\n${renderBackendClientText(clientReport)}\n`);
    out(`\nwritten: ${clientFiles.markdown}\n         ${clientFiles.json}\n`);
    const errors = clientReport.rows.reduce((n, r) => n + r.ours.errors + r.sdk.errors, 0);
    if (errors > 0) {
      out(`\n${errors} operations failed; see the Errors section of ${clientFiles.markdown}\n`);
      result.exitCode = 1;
    }
    result.clientReport = clientReport;
    result.clientFiles = clientFiles;
  }
  const scenarioIds = requested?.filter((id) => id !== BACKEND_CLIENT_SCENARIO);
  if (scenarioIds?.length === 0) return result;

  const report = await runBench({
    profile,
    mode,
    backends: backends as BackendKind[] | undefined,
    scenarioIds,
    cpuProfileDir: values['cpu-prof'] ? join(outDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined,
    gatewayNodeFlags: values['gateway-node-flags']?.split(' ').filter(Boolean),
    tracingEndpoint: values.tracing,
    identityLoad: values['identity-load'] ? { users: 1000, grants: 10_000 } : undefined,
    encryption: values.encryption,
    integrity: values.integrity,
    hopRuntime,
  });
  const comparison = base ? compareReports(base, values.compare!, report) : null;
  const files = await writeReport(report, outDir, comparison ? renderComparisonMarkdown(comparison) : '');
  result.report = report;
  result.files = files;

  out(`\n${renderTextTable(report)}\n\n`);
  if (comparison) out(`${renderComparisonText(comparison)}\n\n`);
  if (profile.name !== 'full') out(`targets (${profile.name} run: reduced sizes, so indicative only):\n`);
  for (const g of checkGoals(report)) out(`${g.met ? 'met   ' : 'MISSED'}  ${g.goal} — ${g.row}: ${g.measured}\n`);
  out(`\nwritten: ${files.markdown}\n         ${files.json}\n`);
  const errors = report.rows.reduce((n, r) => n + (r.direct?.errors ?? 0) + (r.gateway?.errors ?? 0), 0);
  if (errors > 0) {
    out(`\n${errors} operations failed; see the Errors section of ${files.markdown}\n`);
    result.exitCode = 1;
  }
  return result;
}

const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

async function scaleMain(
  values: { scale?: string; 'scale-engines'?: string; 'scale-seconds'?: string; out?: string },
  hopRuntime: HopRuntime | null,
  out: (text: string) => void,
  refuse: (problem: string) => BenchMainResult,
): Promise<BenchMainResult> {
  const sizes = commaList(values.scale)?.map(Number) ?? [];
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1000 || n > 9_999_999)) {
    return refuse('--scale: comma-separated object counts, each from 1000 to 9999999');
  }
  const engines = (commaList(values['scale-engines']) ?? [...SCALE_ENGINES]) as ScaleEngine[];
  if (engines.length === 0 || engines.some((e) => !SCALE_ENGINES.includes(e))) return refuse(`--scale-engines: ${SCALE_ENGINES.join(', ')}`);
  const seconds = Number(values['scale-seconds'] ?? 5);
  if (!(seconds > 0)) return refuse('--scale-seconds: a positive number');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const report = await runScale({
    sizes, engines, secondsPerOp: seconds, hopRuntime, log,
    postgresUrl: process.env['S3O_TEST_PG_URL'] || DEFAULT_PG_URL,
    natsUrl: process.env['S3O_TEST_NATS_URL'] || DEFAULT_NATS_URL,
  });
  const files = await writeScaleReport(report, values.out ?? join(RESULTS_DIR, 'scale'), (svg, file) => renderSvgToPng(svg, file, log));
  for (const c of checkListTarget(report)) {
    out(`${c.met === null ? 'n/a   ' : c.met ? 'met   ' : 'MISSED'}  LIST p99 < ${LIST_TARGET.p99Ms} ms at ${LIST_TARGET.objects.toLocaleString('en-US')} objects (to last byte) — ${c.engine}: ${c.p99Ms === null ? 'not measured' : `${c.p99Ms.toFixed(1)} ms`}\n`);
  }
  out(`\nwritten: ${files.markdown}\n         ${files.json}\n         ${files.png ?? files.svg}\n`);
  const errors = report.points.reduce((n, p) => n + Object.values(p.ops).reduce((m, r) => m + r.errors, 0), 0);
  if (errors > 0) out(`\n${errors} operations failed; see ${files.markdown}\n`);
  return { exitCode: errors > 0 ? 1 : 0, report: null, files: null, scaleReport: report, scaleFiles: files };
}
