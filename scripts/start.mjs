// `npm start`: the orchestrator in one process. With no arguments it runs the demo —
// three local S3 backends (s3rver) and a committed config with two virtual buckets and
// small quotas. `npm start -- --config FILE` serves a real config instead.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, bootstrap } from './lib/bootstrap.mjs';

const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
bootstrap();

const cli = join(ROOT, 'services', 'cli', 'dist', 'main.js');
// The allocator and heap settings the Docker image runs with (services/cli/src/allocator.ts).
const { withMallocTunables, HEAP_FLOOR_FLAG } = await import(join(ROOT, 'services', 'cli', 'dist', 'allocator.js'));
const stops = [];

function runServe(configPath, env = {}) {
  const child = spawn(process.execPath, [HEAP_FLOOR_FLAG, cli, 'serve', '--config', configPath], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, GLIBC_TUNABLES: withMallocTunables(process.env.GLIBC_TUNABLES), ...env } });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', async (code, signal) => {
    for (const stop of stops) await stop().catch(() => {});
    process.exit(code ?? (signal ? 0 : 1));
  });
}

if (values.config) {
  runServe(values.config);
} else {
  const { startS3rver } = await import(join(ROOT, 'infra', 'demo', 'dist', 'index.js'));
  const dataDir = join(ROOT, '.data', 'demo');
  const ports = [9101, 9102, 9103];
  for (const [i, port] of ports.entries()) {
    const dir = join(dataDir, `backend-${i + 1}`);
    mkdirSync(dir, { recursive: true });
    const backend = await startS3rver({ dir, port, buckets: ['demo'] });
    stops.push(() => backend.stop());
    console.error(`[s3o] demo backend ${i + 1}: ${backend.endpoint}`);
  }
  const endpoint = 'http://127.0.0.1:9000';
  console.error(`
[s3o] demo orchestrator at ${endpoint}
      buckets: photos (key id demo-photos / secret demo-photos-secret)
               backups (key id demo-backups / secret demo-backups-secret)
      quotas: 40 MB, 40 MB and 120 MB on three local backends, packed in that order
      try:
        export AWS_ACCESS_KEY_ID=demo-photos AWS_SECRET_ACCESS_KEY=demo-photos-secret AWS_DEFAULT_REGION=us-east-1
        aws --endpoint-url ${endpoint} s3 cp ./README.md s3://photos/README.md
        aws --endpoint-url ${endpoint} s3 ls s3://photos/
`);
  runServe(join(ROOT, 'infra', 'demo', 'demo-config.yaml'), { S3O_DEMO_DATA: dataDir });
}
