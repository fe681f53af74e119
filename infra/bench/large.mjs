// Large objects through the gateway and through the pass-through proxy, alternating slices:
// `node infra/bench/large.mjs [CLI]` (CLI = a checkout's compiled services/cli/dist/main.js,
// default this one's; build infra/bench first). One sink backend, one gateway `serve`, one
// proxy, one 64 MiB object each. Prints, per phase and side, CPU per MB (/proc, user + system),
// MB/s and minor page faults per MB — the figure that tells a process caught in the allocator's
// trim-and-fault cycle (docs/performance.md, "Large objects: the allocator, not the gateway").
// LARGE_OPS=GET,PUT,GET phases in order (default GET,PUT); LARGE_ROUNDS slices per side and phase
// (default 4); LARGE_SLICE_MS (default 4000); LARGE_C concurrency (default 1); LARGE_WARMUP_MS
// warms each hop with 4 KiB operations first; LARGE_ONLY=gateway|proxy measures one side (to
// attach perf or strace to it); LARGE_NODE_FLAGS for the gateway (e.g. --perf-basic-prof).
// Children get the deployment's GLIBC_TUNABLES (dist/child-process.js); set GLIBC_TUNABLES=
// glibc.malloc.trim_threshold=131072 (glibc's default) to see the cycle. The gateway gets the
// deployment's heap floor too (dist/modes/gateway-process.js); LARGE_NODE_FLAGS=
// --initial-old-space-size=N comes after it and wins, to try another floor.
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { startBackend } from './dist/backends.js';
import { gatewayConfigYaml } from './dist/modes/gateway-config.js';
import { freePort, startGatewayProcess } from './dist/modes/gateway-process.js';
import { createBenchClient } from './dist/s3-client.js';
import { runLoad } from './dist/load.js';
import { ProcessProbe } from './dist/process-probe.js';
import { startPassthrough } from './dist/passthrough/process.js';
import { patternStream } from './dist/pattern.js';
import { warmHop } from './dist/hop-warmup.js';

const cli = process.argv[2] ? resolve(process.argv[2]) : fileURLToPath(new URL('../../services/cli/dist/main.js', import.meta.url));
const env = process.env;
const phases = (env.LARGE_OPS ?? 'GET,PUT').split(',');
const rounds = Number(env.LARGE_ROUNDS ?? 4), sliceMs = Number(env.LARGE_SLICE_MS ?? 4000), concurrency = Number(env.LARGE_C ?? 1);
const SIZE = 64 * 1024 * 1024;

const work = await mkdtemp(join(tmpdir(), 's3o-large-'));
const backend = await startBackend('sink', work);
const bucket = { name: 'bench', credentials: { accessKeyId: 'large', secretAccessKey: 'large-secret-key' } };
await mkdir(join(work, 'gateway'));
const port = await freePort();
const { yaml } = gatewayConfigYaml({ port, databasePath: join(work, 'gateway', 's3o.db'), backend, buckets: [bucket] });
await writeFile(join(work, 'gateway', 'config.yaml'), yaml);
const { url, child: gateway } = await startGatewayProcess({
  verb: 'serve', cli, configPath: join(work, 'gateway', 'config.yaml'), port, cwd: join(work, 'gateway'),
  nodeFlags: (env.LARGE_NODE_FLAGS ?? '').split(' ').filter(Boolean),
});
const proxy = await startPassthrough(backend.endpoint);
const sides = [
  { name: 'gateway', pid: gateway.pid, bucket: bucket.name, s3: createBenchClient(url, bucket.credentials, 'when-required').s3 },
  { name: 'proxy', pid: proxy.pid, bucket: backend.bucket, s3: createBenchClient(proxy.endpoint, backend.credentials, 'when-required').s3 },
].filter((s) => !env.LARGE_ONLY || s.name === env.LARGE_ONLY);
for (const s of sides) {
  s.probe = new ProcessProbe(s.pid);
  await s.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: 'large', Body: patternStream(SIZE), ContentLength: SIZE }));
  if (env.LARGE_WARMUP_MS) await warmHop(s.s3, s.bucket, Number(env.LARGE_WARMUP_MS));
}
console.log(JSON.stringify({ pids: Object.fromEntries(sides.map((s) => [s.name, s.pid])), sink: backend.pid }));

let n = 0;
const ops = {
  GET: async (s) => { const r = await s.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: 'large' })); let b = 0; for await (const c of r.Body) b += c.length; return b; },
  PUT: (s) => s.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: `put/${n++}`, Body: patternStream(SIZE), ContentLength: SIZE })).then(() => SIZE),
};
for (const phase of phases) {
  const op = ops[phase];
  if (!op) throw new Error(`LARGE_OPS: unknown operation ${phase} (GET or PUT)`);
  const acc = new Map(sides.map((s) => [s.name, { ops: 0, bytes: 0, cpu: 0, seconds: 0, faults: 0 }]));
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      const cpu0 = s.probe.cpuSeconds(), faults0 = s.probe.minorFaults();
      const res = await runLoad({ concurrency, durationMs: sliceMs, minOps: 1, op: () => op(s) });
      const a = acc.get(s.name);
      a.cpu += s.probe.cpuSeconds() - cpu0; a.faults += s.probe.minorFaults() - faults0;
      a.ops += res.ops; a.bytes += res.bytes; a.seconds += res.seconds;
      if (res.errors) console.log(`${phase} ${s.name}: ${res.errors} errors, first: ${res.firstError}`);
    }
  }
  for (const [name, a] of acc) {
    const mb = a.bytes / 1e6;
    console.log(`${phase} ×${concurrency} ${name.padEnd(7)} ${(a.cpu * 1e3 / mb).toFixed(2)} ms/MB, ${(mb / a.seconds).toFixed(0)} MB/s, ${(a.faults / mb).toFixed(0)} minor faults/MB (${a.ops} ops)`);
  }
}
await gateway.stop(); await proxy.stop(); await backend.stop();
process.exit(0);
