// docker-compose.yml cannot be started here (no Docker engine), so it is validated
// offline with docker-compose's own parser, and checked for what operators rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseConfig } from '@s3o/config';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('docker-compose.yml is valid for docker-compose', () => {
  // infra/ensure-services.sh installs docker-compose when it is missing.
  execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, stdio: 'pipe' });
});

test('compose runs every service from one image with the compose config, two gateways', () => {
  const doc = parse(execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, encoding: 'utf8' })) as {
    services: Record<string, { command?: string[]; ports?: Array<{ published: number | string }> }>;
  };
  const verbs = Object.values(doc.services).map((s) => s.command?.[0]).filter(Boolean);
  for (const verb of ['gateway', 'placement', 'cleanup', 'usage', 'notifier']) assert.ok(verbs.includes(verb), `a ${verb} service`);
  assert.equal(verbs.filter((v) => v === 'gateway').length, 2);
  for (const infra of ['postgres', 'nats', 'jaeger', 'minio-1', 'minio-2', 'minio-3']) assert.ok(doc.services[infra], infra);
});

test('the compose config is a valid orchestrator config', () => {
  const { config } = parseConfig(readFileSync(new URL('../config.yaml', import.meta.url), 'utf8'), { S3O_PG_PASSWORD: 'x' });
  assert.equal(config.database.driver, 'postgres');
  assert.equal(config.bus.driver, 'nats');
  assert.equal(config.backends.length, 3);
});
