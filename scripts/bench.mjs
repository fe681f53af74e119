// `npm run bench [-- --quick]`: builds like `npm start` and `npm test` do, then runs the
// benchmark harness (infra/bench): backends and gateway in processes of their own, every
// scenario directly against the backend and through the gateway, results written to
// infra/bench/results/ (quick runs: infra/bench/results/quick/). `-- --help` lists the options.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, bootstrap } from './lib/bootstrap.mjs';

bootstrap();

// The harness is built on its own (with the packages it references): it is a tool, not
// part of what `npm run build` ships.
const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
const build = spawnSync(tsc, ['-b', join('infra', 'bench')], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) {
  console.error(`\nbuilding infra/bench failed (exit ${build.status ?? build.signal}).`);
  process.exit(build.status ?? 1);
}

// Ctrl-C reaches the harness too (same process group); it stops its child processes itself.
process.on('SIGINT', () => {});
// The harness (the client of every scenario) and every process it starts run with the
// allocator setting of a deployment (services/cli/src/allocator.ts).
const { withMallocTunables } = await import(join(ROOT, 'services', 'cli', 'dist', 'allocator.js'));
const run = spawnSync(process.execPath, [join(ROOT, 'infra', 'bench', 'dist', 'main.js'), ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, GLIBC_TUNABLES: withMallocTunables(process.env.GLIBC_TUNABLES) },
});
process.exit(run.status ?? 1);
