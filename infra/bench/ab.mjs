// A/B of two gateway builds: `node infra/bench/ab.mjs BASE_CLI NEW_CLI [rounds] [sliceMs]`, where
// each CLI is a checkout's compiled `services/cli/dist/main.js` (build both first; this one needs
// infra/bench built). Both run `serve` over one sink; every scenario alternates slices between
// them, order swapped each round, so a change of load on a shared machine hits both alike.
// Prints each build's gateway CPU per operation (/proc, user + system) and new ÷ base.
// AB_ONLY=PUT,GET limits the scenarios to titles starting with these. AB_ENCRYPTION=1 turns both
// gateways' encryption at rest on, AB_ENCRYPTION=new only the second's (the same CLI twice then
// gives encrypted ÷ plaintext); the sink keeps no bytes, so only PUT rows make sense with it.
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PutObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { startBackend } from './dist/backends.js';
import { gatewayConfigYaml } from './dist/modes/gateway-config.js';
import { freePort, startGatewayProcess } from './dist/modes/gateway-process.js';
import { createBenchClient } from './dist/s3-client.js';
import { runLoad } from './dist/load.js';
import { ProcessProbe } from './dist/process-probe.js';

const [baseCli, newCli, roundsArg, sliceArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 4), sliceMs = Number(sliceArg ?? 2000);
const work = await mkdtemp(join(tmpdir(), 's3o-ab-'));
const backend = await startBackend('sink', work);
const bucket = { name: 'bench', credentials: { accessKeyId: 'ab', secretAccessKey: 'ab-secret-key' } };
async function start(name, cli) {
  const dir = join(work, name); await mkdir(dir);
  const port = await freePort();
  const { yaml } = gatewayConfigYaml({ port, databasePath: join(dir, 's3o.db'), backend, buckets: [bucket], encryption: [name, '1'].includes(process.env.AB_ENCRYPTION ?? '') });
  await writeFile(join(dir, 'config.yaml'), yaml);
  const { url, child } = await startGatewayProcess({ verb: 'serve', cli, configPath: join(dir, 'config.yaml'), port, cwd: dir, nodeFlags: [] });
  return { name, child, probe: new ProcessProbe(child.pid), s3: createBenchClient(url, bucket.credentials, 'when-required').s3 };
}
const gws = [await start('base', resolve(baseCli)), await start('new', resolve(newCli))];
const body = Buffer.alloc(4096, 7);
const big = Buffer.alloc(16 * 1024 * 1024, 9);
for (const g of gws) for (let i = 0; i < 64; i++) await g.s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `r/${i}`, Body: body, ContentLength: 4096 }));
for (const g of gws) await g.s3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'big', Body: big, ContentLength: big.length }));
let n = 0;
const scen = {
  'PUT 4 KiB c1': { c: 1, op: (g) => g.s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `p/${n++}`, Body: body, ContentLength: 4096 })).then(() => 4096) },
  'PUT 4 KiB c16': { c: 16, op: (g) => g.s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `p/${n++}`, Body: body, ContentLength: 4096 })).then(() => 4096) },
  'GET 4 KiB c16': { c: 16, op: async (g, i) => { const r = await g.s3.send(new GetObjectCommand({ Bucket: 'bench', Key: `r/${i % 64}` })); await r.Body.transformToByteArray(); return 4096; } },
  'HEAD c16': { c: 16, op: (g, i) => g.s3.send(new HeadObjectCommand({ Bucket: 'bench', Key: `r/${i % 64}` })).then(() => 0) },
  'GET 16 MiB c1': { c: 1, op: async (g) => { const r = await g.s3.send(new GetObjectCommand({ Bucket: 'bench', Key: 'big' })); let b = 0; for await (const c of r.Body) b += c.length; return b; } },
  'PUT 16 MiB c1': { c: 1, op: (g) => g.s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `b/${n++}`, Body: big, ContentLength: big.length })).then(() => big.length) },
};
const only = process.env.AB_ONLY?.split(',');
for (const [title, s] of Object.entries(scen)) {
  if (only && !only.some((o) => title.startsWith(o))) continue;
  const acc = { base: { ops: 0, bytes: 0, cpu: 0, sec: 0 }, new: { ops: 0, bytes: 0, cpu: 0, sec: 0 } };
  for (let r = 0; r < rounds; r++) {
    for (const g of r % 2 ? [...gws].reverse() : gws) {
      await runLoad({ concurrency: s.c, durationMs: 200, minOps: 1, op: (i) => s.op(g, i) });
      const t0 = g.probe.cpuSeconds();
      const res = await runLoad({ concurrency: s.c, durationMs: sliceMs, minOps: s.c, op: (i) => s.op(g, i) });
      const a = acc[g.name]; a.cpu += g.probe.cpuSeconds() - t0; a.ops += res.ops; a.bytes += res.bytes; a.sec += res.seconds;
      if (res.errors) console.log(title, g.name, 'errors', res.errors, res.firstError);
    }
  }
  const fmt = (a) => title.includes("MiB") ? `${(a.cpu * 1e3 / (a.bytes / 1e6)).toFixed(2)} ms/MB (${a.ops} ops, ${(a.cpu * 100).toFixed(0)} ticks, ${(a.bytes / a.sec / 1e6).toFixed(0)} MB/s)` : `${(a.cpu * 1e6 / a.ops).toFixed(0)} µs/op (${a.ops} ops, ${(a.cpu * 100).toFixed(0)} ticks, ${(a.ops / a.sec).toFixed(0)} ops/s)`;
  const ratio = (acc.new.cpu / (acc.new.ops || 1)) / (acc.base.cpu / (acc.base.ops || 1));
  console.log(`${title.padEnd(15)} base ${fmt(acc.base)} | new ${fmt(acc.new)} | new/base CPU per op ${ratio.toFixed(2)}`);
}
for (const g of gws) await g.child.stop();
await backend.stop();
process.exit(0);
