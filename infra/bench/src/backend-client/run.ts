// `npm run bench -- --scenarios backend-client`: the orchestrator's own backend client
// (shared/backends, on node:http) against the AWS SDK (@aws-sdk/client-s3), both in this
// process, both against the sink backend in a process of its own. The same operations — PUT
// and GET of small and large objects — run with each client in turns (slice by slice, the
// order swapped every slice), so a change of load on the shared machine hits both alike. What
// is compared: ops/s or MB/s, latency, and the CPU each client costs this process per
// operation (and per MB) — the figure that decides how many requests a gateway core serves.
//
// Each client is used the way an orchestrator would: ours exactly as the gateway calls it
// (a small body as a one-chunk stream, a large one streamed, UNSIGNED-PAYLOAD, exact
// Content-Length); the SDK with the settings the orchestrator would need (checksums only
// when required, one attempt, a keep-alive agent with as many sockets), a small body as a
// Buffer and a large one streamed. Neither sends Content-MD5. No observers are attached to
// ours (the gateway adds metering, breakers and metrics: see shared/backends/src/observe.ts).
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BackendClient } from '@s3o/backends';
import { startBackend, BACKEND_DESCRIPTIONS } from '../backends.js';
import { runLoad, type LoadResult } from '../load.js';
import { commitInfo, currentLoadAverage, machineInfo } from '../machine.js';
import { patternBuffer, patternStream } from '../pattern.js';
import { ownCpuWindow, ProcessProbe, type ProcessUsage } from '../process-probe.js';
import { formatSize, type BenchProfile } from '../profiles.js';
import { createBenchClient } from '../s3-client.js';
import { summarizeLatencies } from '../stats.js';
import type { BackendClientReport, ClientName, ClientResult, ClientRow } from './model.js';

/** The id that selects this comparison in `--scenarios`. */
export const BACKEND_CLIENT_SCENARIO = 'backend-client';

export const CLIENT_NAMES: readonly ClientName[] = ['ours', 'sdk'];

const CLIENT_DESCRIPTIONS: Record<ClientName, string> = {
  ours: 'BackendClient of @s3o/backends (node:http keep-alive agent, 64 sockets, UNSIGNED-PAYLOAD streaming, no observers)',
  sdk: 'AWS SDK for JavaScript v3 (@aws-sdk/client-s3 3.1175.0): keep-alive agent with 64 sockets, maxAttempts 1, checksums WHEN_REQUIRED',
};

/** One way of talking to the backend: the operations the comparison times. */
interface ClientUnderTest {
  /** resolves to the payload bytes sent */
  put(key: string, size: number, shared: Buffer | null): Promise<number>;
  /** reads the whole body; resolves to the payload bytes received */
  get(key: string, size: number): Promise<number>;
  close(): void;
}

interface AbScenario {
  id: string;
  title: string;
  metric: 'ops' | 'throughput';
  op: 'put' | 'get';
  objectBytes: number;
  concurrency: number;
  slices: number;
  load: { durationMs: number; warmupMs?: number; minOps: number };
}

/** Untimed writes of the objects a GET scenario reads. */
const SETUP_CONCURRENCY = 8;

export function backendClientScenarios(profile: BenchProfile): AbScenario[] {
  const { small, large } = profile;
  const smallLoad = { durationMs: small.durationMs / small.slices, warmupMs: small.warmupMs, minOps: 1 };
  const scenarios: AbScenario[] = [];
  for (const op of ['put', 'get'] as const) {
    for (const concurrency of [1, 16]) {
      scenarios.push({
        id: `${op}-small-c${concurrency}`, title: `${op.toUpperCase()} ${formatSize(small.objectBytes)}, concurrency ${concurrency}`,
        metric: 'ops', op, objectBytes: small.objectBytes, concurrency, slices: small.slices, load: smallLoad,
      });
    }
  }
  for (const op of ['put', 'get'] as const) {
    scenarios.push({
      id: `${op}-large-c1`, title: `${op.toUpperCase()} ${formatSize(large.objectBytes)}, concurrency 1`,
      metric: 'throughput', op, objectBytes: large.objectBytes, concurrency: 1, slices: large.slices,
      load: { durationMs: large.durationMs / large.slices, minOps: large.minOpsPerWorker },
    });
  }
  return scenarios;
}

function ourClient(endpoint: string, bucket: string, credentials: { accessKeyId: string; secretAccessKey: string }): ClientUnderTest {
  const client = new BackendClient({ name: 'sink', endpoint, bucket, region: 'us-east-1', forcePathStyle: true, ...credentials });
  return {
    async put(key, size, shared) {
      // What the gateway hands it: a replayable small body as a one-chunk stream, a large one as it arrives.
      await client.putObject(key, shared ? Readable.from([shared]) : patternStream(size), { contentLength: size });
      return size;
    },
    async get(key, size) {
      const res = await client.getObject(key);
      return drain(res.body, key, size);
    },
    close: () => client.close(),
  };
}

function sdkClient(endpoint: string, bucket: string, credentials: { accessKeyId: string; secretAccessKey: string }): ClientUnderTest {
  const { s3, close } = createBenchClient(endpoint, credentials, 'when-required');
  return {
    async put(key, size, shared) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, ContentLength: size, Body: shared ?? patternStream(size) }));
      return size;
    },
    async get(key, size) {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return drain(res.Body as Readable, key, size);
    },
    close,
  };
}

async function drain(body: Readable, key: string, size: number): Promise<number> {
  let received = 0;
  for await (const chunk of body) received += (chunk as Buffer).length;
  if (received !== size) throw new Error(`GET ${key}: ${received} bytes received, ${size} expected`);
  return received;
}

/** One slice of one client, with what this process and the backend spent meanwhile. */
interface Slice {
  load: LoadResult;
  clientCpuSeconds: number;
  backend: ProcessUsage;
}

async function measure(phase: () => Promise<LoadResult>, backend: ProcessProbe): Promise<Slice> {
  const cpu = ownCpuWindow();
  const window = backend.window();
  let load: LoadResult;
  let usage: ProcessUsage;
  try {
    load = await phase();
  } finally {
    usage = window.end();
  }
  return { load, clientCpuSeconds: cpu.end(), backend: usage };
}

function clientResult(slices: Slice[]): ClientResult {
  const sum = (f: (s: Slice) => number) => slices.reduce((n, s) => n + f(s), 0);
  const ops = sum((s) => s.load.ops);
  const bytes = sum((s) => s.load.bytes);
  const seconds = sum((s) => s.load.seconds);
  const client = sum((s) => s.clientCpuSeconds);
  const backend = sum((s) => s.backend.cpuSeconds);
  const mb = bytes / 1e6;
  return {
    ops,
    errors: sum((s) => s.load.errors),
    firstError: slices.find((s) => s.load.firstError !== null)?.load.firstError ?? null,
    bytes,
    seconds,
    opsPerSec: seconds > 0 ? ops / seconds : 0,
    mbPerSec: seconds > 0 ? mb / seconds : 0,
    latency: summarizeLatencies(slices.flatMap((s) => s.load.latenciesMs)),
    cpuSeconds: { client, backend },
    clientCpuUsPerOp: ops > 0 ? (client / ops) * 1e6 : null,
    clientCpuMsPerMB: mb > 0 ? (client / mb) * 1e3 : null,
  };
}

export interface BackendClientBenchOptions {
  profile: BenchProfile;
  /** progress lines; default: stderr */
  log?: (line: string) => void;
}

export async function runBackendClientBench(options: BackendClientBenchOptions): Promise<BackendClientReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = new Date();
  const machine = machineInfo();
  const commit = commitInfo();
  // The sink keeps no bytes, so it needs no work directory.
  const backend = await startBackend('sink', '');
  const clients: Record<ClientName, ClientUnderTest> = {
    ours: ourClient(backend.endpoint, backend.bucket, backend.credentials),
    sdk: sdkClient(backend.endpoint, backend.bucket, backend.credentials),
  };
  const rows: ClientRow[] = [];
  try {
    const probe = new ProcessProbe(backend.pid);
    for (const scenario of backendClientScenarios(options.profile)) {
      const phases = {} as Record<ClientName, () => Promise<LoadResult>>;
      for (const name of CLIENT_NAMES) phases[name] = await prepare(scenario, name, clients[name]);
      const slices: Record<ClientName, Slice[]> = { ours: [], sdk: [] };
      for (let i = 0; i < scenario.slices; i++) {
        // Who goes first alternates, so neither client always meets a freshly idle backend.
        const order = i % 2 === 0 ? CLIENT_NAMES : [...CLIENT_NAMES].reverse();
        for (const name of order) slices[name].push(await measure(phases[name], probe));
      }
      const ours = clientResult(slices.ours);
      const sdk = clientResult(slices.sdk);
      const headline = (r: ClientResult) => (scenario.metric === 'ops' ? r.opsPerSec : r.mbPerSec);
      const cpuRatio = ours.clientCpuUsPerOp !== null && sdk.clientCpuUsPerOp ? ours.clientCpuUsPerOp / sdk.clientCpuUsPerOp : null;
      rows.push({
        scenarioId: scenario.id, title: scenario.title, metric: scenario.metric, objectBytes: scenario.objectBytes,
        concurrency: scenario.concurrency, ours, sdk, ratio: headline(sdk) > 0 ? headline(ours) / headline(sdk) : null, cpuRatio,
      });
      for (const name of CLIENT_NAMES) {
        const r = name === 'ours' ? ours : sdk;
        log(`[bench] backend client · ${scenario.title} · ${name}: ${r.ops} ops, ${r.opsPerSec.toFixed(0)} ops/s, ` +
          `${r.mbPerSec.toFixed(1)} MB/s, client CPU ${r.clientCpuUsPerOp?.toFixed(0) ?? '—'} µs/op${r.errors ? `, ${r.errors} errors (${r.firstError})` : ''}`);
      }
    }
  } finally {
    for (const client of Object.values(clients)) client.close();
    await backend.stop();
  }
  return {
    format: 1,
    kind: 'backend-client',
    profile: options.profile.name,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    commit,
    machine,
    loadAverageAtEnd: currentLoadAverage(),
    backend: BACKEND_DESCRIPTIONS.sink,
    clients: CLIENT_DESCRIPTIONS,
    rows,
  };
}

/** Untimed setup (the objects a GET reads); resolves to one slice of the measured phase. */
async function prepare(scenario: AbScenario, name: ClientName, client: ClientUnderTest): Promise<() => Promise<LoadResult>> {
  const size = scenario.objectBytes;
  // Small bodies are one shared buffer (as an application holding the bytes sends them).
  const shared = size <= 1024 * 1024 ? patternBuffer(size) : null;
  const prefix = `backend-client/${name}/${scenario.id}`;
  if (scenario.op === 'put') {
    // Counted across slices: every PUT writes a new key.
    let next = 0;
    return () => runLoad({ concurrency: scenario.concurrency, ...scenario.load, op: () => client.put(`${prefix}/${next++}`, size, shared) });
  }
  const count = scenario.metric === 'ops' ? 32 : scenario.concurrency;
  const keys = Array.from({ length: count }, (_, i) => `${prefix}/obj-${i}`);
  const setup = await runLoad({
    concurrency: Math.min(SETUP_CONCURRENCY, count), durationMs: 0, minOps: count, maxOps: count,
    op: (i) => client.put(keys[i]!, size, shared),
  });
  if (setup.errors > 0) throw new Error(`setup of ${prefix} failed: ${setup.firstError}`);
  return () => runLoad({ concurrency: scenario.concurrency, ...scenario.load, op: (i) => client.get(keys[i % keys.length]!, size) });
}
