// How fast `s3-orchestrator rebuild` is at scale (docs/performance.md, "Ledger rebuild").
// Seeds N small objects straight into s3rver backends' directories in the form the gateway
// stores them (storage key `{bucket}/{path}!{write id}`, the x-amz-meta-s3o-* metadata, the
// MD5 s3rver keeps beside the bytes) — a bulk path, not through the gateway, so 100k objects
// take seconds to make — then starts the backends and runs the compiled CLI's rebuild against
// an empty SQLite ledger, timing it and reading each process's CPU from /proc.
//
//   node --conditions=source --import tsx scripts/measure-rebuild.ts [--objects N] [--backends B] [--copies C]
//     [--concurrency N] [--cpu-prof]     (profiles go to $TMPDIR/s3o-rebuild-profile)
//
// Run `npx tsc -b` first (the compiled CLI is what is measured). Everything lives in a
// temporary directory that is removed at the end.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { newId, storageKeyFor } from '@s3o/store';
import { buildConfigText } from '../e2e/src/config-text.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI_MAIN = join(REPO, 'services/cli/dist/main.js');
const BUCKET = 'bench';
const BACKEND_BUCKET = 's3o-data';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '100000' },
    backends: { type: 'string', default: '2' },
    copies: { type: 'string', default: '1' },
    'cpu-prof': { type: 'boolean', default: false },
    /** passed to the rebuild: HEADs in flight per backend */
    concurrency: { type: 'string' },
  },
});
const objects = Number(values.objects);
const backendCount = Number(values.backends);
const copies = Number(values.copies);
if (!(objects > 0 && backendCount > 0 && copies > 0 && copies <= backendCount)) throw new Error('bad --objects/--backends/--copies');

/** user + system CPU seconds of a process (/proc/<pid>/stat, clock ticks of 10 ms). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function seed(dirs: string[]): Promise<void> {
  const started = Date.now();
  const base = Date.now() - 3_600_000;
  const made = new Set<string>();
  const write = async (n: number) => {
    const key = `d${String(n % 100).padStart(3, '0')}/obj-${String(n).padStart(7, '0')}`;
    const body = Buffer.from(`object ${n} `.repeat(1 + (n % 20)));
    const etag = createHash('md5').update(body).digest('hex');
    const writeId = newId(base + n);
    const meta = {
      'content-type': 'application/octet-stream',
      'x-amz-meta-s3o-bucket': BUCKET, 'x-amz-meta-s3o-write': writeId, 'x-amz-meta-s3o-etag': etag,
      'x-amz-meta-s3o-size': String(body.length), 'x-amz-meta-s3o-key': encodeURIComponent(key),
    };
    for (let c = 0; c < copies; c++) {
      // Replicas get storage keys of their own (a new id), as replication makes them.
      const storageKey = storageKeyFor(BUCKET, key, c === 0 ? writeId : newId(base + n));
      const path = join(dirs[(n + c) % dirs.length]!, BACKEND_BUCKET, storageKey);
      const dir = dirname(path);
      if (!made.has(dir)) {
        made.add(dir);
        await mkdir(dir, { recursive: true });
      }
      await Promise.all([
        writeFile(`${path}._S3rver_object`, body),
        writeFile(`${path}._S3rver_object.md5`, etag),
        writeFile(`${path}._S3rver_metadata.json`, JSON.stringify(meta)),
      ]);
    }
  };
  const lanes = 32;
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < objects) await write(next++);
  }));
  process.stderr.write(`seeded ${objects} objects × ${copies} copies on ${dirs.length} backends in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

const root = await mkdtemp(join(tmpdir(), 's3o-measure-rebuild-'));
const procs: S3rverProcess[] = [];
try {
  const dirs = Array.from({ length: backendCount }, (_, i) => join(root, `backend-${i + 1}`));
  await seed(dirs);
  for (const dir of dirs) procs.push(await startS3rver({ dir, buckets: [BACKEND_BUCKET], port: 0 }));
  await mkdir(join(root, 'ledger'));
  const configPath = join(root, 's3o.yaml');
  await writeFile(configPath, buildConfigText({
    ledger: { driver: 'sqlite', path: join(root, 'ledger', 's3o.db') },
    bus: { driver: 'memory' },
    buckets: [{ name: BUCKET, credentials: { accessKeyId: 'bench-key', secretAccessKey: 'bench-secret-0123456789' } }],
    backends: procs.map((p, i) => ({ name: `b${i + 1}`, endpoint: p.endpoint, bucket: BACKEND_BUCKET, quota: 0 })),
    routing: 'spread',
  }));
  const backendCpuBefore = await Promise.all(procs.map((p) => cpuSeconds(p.pid)));
  const { NODE_OPTIONS: _dropped, ...env } = process.env;
  const args = ['--no-warnings', ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(tmpdir(), 's3o-rebuild-profile')] : []), CLI_MAIN, 'rebuild', '--config', configPath,
    ...(values.concurrency ? ['--concurrency', values.concurrency] : [])];
  const started = Date.now();
  let rebuildCpu = 0;
  const result = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
    const child = execFile(process.execPath, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      clearInterval(sampler);
      resolve({ stdout, stderr, code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
    // Progress lines as they come, with the time since the start: where the time goes.
    child.stderr!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}\n`);
    });
    // The rebuild's CPU: sampled, the last reading before it ended (its final ~200 ms are not counted).
    const sampler = setInterval(() => void cpuSeconds(child.pid!).then((c) => (rebuildCpu = c), () => undefined), 200);
  });
  const seconds = (Date.now() - started) / 1000;
  const backendCpu = (await Promise.all(procs.map((p) => cpuSeconds(p.pid)))).map((c, i) => c - backendCpuBefore[i]!);
  process.stdout.write(result.stdout);
  if (result.code !== 0) process.stderr.write(result.stderr.split('\n').slice(-20).join('\n'));
  process.stdout.write(`wall ${seconds.toFixed(1)} s (CLI start included): ${Math.round(objects / seconds)} objects/s, `
    + `${Math.round((objects * copies) / seconds)} keys/s; rebuild CPU ~${rebuildCpu.toFixed(1)} s; backend CPU ${backendCpu.map((c) => `${c.toFixed(1)} s`).join(', ')}; exit ${result.code}\n`);
} finally {
  for (const p of procs) await p.stop();
  await rm(root, { recursive: true, force: true });
}
