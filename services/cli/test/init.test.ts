// `s3-orchestrator init` as an operator runs it (flags, no terminal): the starter file is
// valid with no warnings in both run modes, carries fresh credentials, is readable by its
// owner only, and is never overwritten without --force.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { loadConfig } from '@s3o/config';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const cli = (args: string[]) => spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const BACKEND_ENV = { B1_ACCESS_KEY_ID: 'k1', B1_SECRET_ACCESS_KEY: 's1', B_2_ACCESS_KEY_ID: 'k2', B_2_SECRET_ACCESS_KEY: 's2', S3O_DB_PASSWORD: 'pw' };

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 's3o-init-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('single mode: a valid file with two backends, two copies and fresh credentials', async () => {
  const file = join(dir, 'single.yaml');
  const r = cli(['init', '--yes', '-o', file, '--bucket', 'media', '--backend', 'b1=http://127.0.0.1:9101/one', '--backend', 'b-2=https://s3.example.com/two', '--replication', '2', '--quota', '5GB']);
  assert.equal(r.status, 0, r.stderr);
  const { config, warnings } = await loadConfig(file, BACKEND_ENV);
  assert.deepEqual(warnings, []);
  assert.equal(config.database.driver, 'sqlite');
  assert.deepEqual(config.backends.map((b) => [b.name, b.endpoint, b.bucket, b.quotaBytes, b.accessKeyId]), [
    ['b1', 'http://127.0.0.1:9101', 'one', 5_000_000_000, 'k1'],
    ['b-2', 'https://s3.example.com', 'two', 5_000_000_000, 'k2'],
  ]);
  assert.equal(config.replication.factor, 2);
  assert.equal(config.buckets[0]!.name, 'media');
  assert.ok(config.auth.root && config.auth.root.secretAccessKey.length >= 32);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const again = cli(['init', '--yes', '-o', join(dir, 'other.yaml'), '--backend', 'b1=http://127.0.0.1:9101/one']);
  assert.equal(again.status, 0, again.stderr);
  const other = await loadConfig(join(dir, 'other.yaml'), BACKEND_ENV);
  assert.notEqual(other.config.auth.root!.secretAccessKey, config.auth.root.secretAccessKey, 'every file gets its own credentials');
});

test('distributed mode: Postgres by upstream\'s database.database, and NATS', async () => {
  const file = join(dir, 'distributed.yaml');
  const r = cli(['init', '--yes', '-o', file, '--mode', 'distributed', '--backend', 'b1=http://127.0.0.1:9101/one']);
  assert.equal(r.status, 0, r.stderr);
  const { config, warnings } = await loadConfig(file, BACKEND_ENV);
  assert.deepEqual(warnings, []);
  assert.deepEqual([config.database.driver, config.database.name, config.bus.driver], ['postgres', 's3o', 'nats']);
  assert.match(r.stdout, /s3-orchestrator gateway --config/);
});

test('an existing file is kept unless --force; bad flags say what is expected', async () => {
  const file = join(dir, 'single.yaml');
  const before = await readFile(file, 'utf8');
  const refused = cli(['init', '--yes', '-o', file]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /exists; pass --force/);
  assert.equal(await readFile(file, 'utf8'), before);
  assert.equal(cli(['init', '--yes', '-o', file, '--force', '--backend', 'b1=http://127.0.0.1:9101/one']).status, 0);
  assert.notEqual(await readFile(file, 'utf8'), before);
  const bad = cli(['init', '--yes', '-o', join(dir, 'bad.yaml'), '--backend', 'nonsense']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /NAME=ENDPOINT\/BUCKET/);
  assert.equal(cli(['init', '--yes', '-o', join(dir, 'bad2.yaml'), '--backend', 'b1=http://h/b', '--replication', '3']).status, 1);
});
