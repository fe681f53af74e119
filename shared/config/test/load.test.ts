// loadConfig against real files under the OS temp directory.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../src/index.js';
import { minimalDocument } from './fixtures.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 's3o-config-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refusal(path: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  try {
    await loadConfig(path, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${path} to be refused`);
}

test('a valid file loads, with its warnings', async () => {
  const path = join(dir, 'valid.yaml');
  await writeFile(path, stringify({ ...minimalDocument(), extra: true }));
  const { config, warnings } = await loadConfig(path, {});
  assert.equal(config.buckets[0]!.name, 'photos');
  assert.deepEqual(warnings, ['unknown key "extra" (ignored)']);
});

test('a missing file is an error naming the file', async () => {
  const path = join(dir, 'missing.yaml');
  const error = await refusal(path);
  assert.equal(error.file, path);
  assert.match(error.message, new RegExp(`^config file "${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": cannot read the file: ENOENT`));
});

test('an unreadable path (a directory) is an error naming the file', async () => {
  const error = await refusal(dir);
  assert.equal(error.file, dir);
  assert.match(error.problems[0]!, /^cannot read the file: EISDIR/);
});

test('a file that is not YAML is an error naming the file', async () => {
  const path = join(dir, 'broken.yaml');
  await writeFile(path, 'server: {listen_addr: x\n');
  const error = await refusal(path);
  assert.equal(
    error.message,
    `config file ${JSON.stringify(path)}: not valid YAML: Flow map in block collection must be sufficiently indented and end with a } at line 2, column 1`,
  );
});

test('an invalid file lists every problem, names the file, and keeps its warnings', async () => {
  const path = join(dir, 'invalid.yaml');
  const document = minimalDocument();
  document.routing_strategy = 'random';
  document.backends[0].endpoint = 'ftp://x';
  document.typo = 1;
  await writeFile(path, stringify(document));
  const error = await refusal(path);
  assert.deepEqual(error.problems, [
    'backends[0].endpoint: expected an http:// or https:// URL, got "ftp://x"',
    'routing_strategy: expected one of "pack", "spread", got "random"',
  ]);
  assert.deepEqual(error.warnings, ['unknown key "typo" (ignored)']);
  assert.equal(
    error.message,
    `config file ${JSON.stringify(path)}: 2 problems:\n` +
      '  - backends[0].endpoint: expected an http:// or https:// URL, got "ftp://x"\n' +
      '  - routing_strategy: expected one of "pack", "spread", got "random"',
  );
});

test('config.example.yaml loads without warnings and documents the defaults it shows', async () => {
  const example = join(dirname(fileURLToPath(import.meta.url)), '..', 'config.example.yaml');
  const { config, warnings } = await loadConfig(example, {
    S3O_ROOT_SECRET: 'root-secret',
    PHOTOS_SECRET: 'photos-secret',
    MINIO_SECRET_KEY: 'minio-secret',
  });
  assert.deepEqual(warnings, []);
  assert.equal(config.backends[0]!.accessKeyId, 'minioadmin');
  assert.equal(config.backends[0]!.quotaBytes, 10e9);
  assert.equal(config.server.maxObjectSize, 5 * 2 ** 30);
  assert.equal(config.bus.retentionMs, 7 * 24 * 3_600_000);
  assert.deepEqual(config.auth.root, { accessKeyId: 'admin-root', secretAccessKey: 'root-secret' });
  assert.deepEqual(config.lifecycle, {
    rules: [
      { bucket: null, prefix: 'tmp/', tags: {}, expirationDays: 7 },
      { bucket: 'photos', prefix: 'thumbnails/cache/', tags: {}, expirationDays: 30 },
      { bucket: null, prefix: 'logs/', tags: { retention: 'short' }, expirationDays: 1 },
    ],
    intervalMs: 3_600_000,
    batchSize: 1000,
  });
  assert.deepEqual(config.circuitBreaker, {
    failureThreshold: 3,
    openTimeoutMs: 15_000,
    cacheTtlMs: 60_000,
    parallelBroadcast: true,
    degradedBroadcastParallelism: 0,
    degradedReadsEnabled: true,
  });
});
