// docker-compose.yml cannot be started here (no Docker engine), so it is validated
// offline with docker-compose's own parser, and checked for what operators rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

test('compose publishes its ports on 127.0.0.1 only and ships no admin credential', () => {
  const doc = parse(execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, encoding: 'utf8', env: { ...process.env, S3O_ADMIN_KEY_ID: '', S3O_ADMIN_SECRET: '' } })) as {
    services: Record<string, { ports?: Array<string | { host_ip?: string; published: number | string }>; environment?: Record<string, string | null> }>;
  };
  for (const [name, service] of Object.entries(doc.services)) {
    for (const port of service.ports ?? []) {
      // docker-compose 1.x prints the short form ("127.0.0.1:9000:9000/tcp"), later versions the long one.
      const hostIp = typeof port === 'string' ? (port.split(':').length === 3 ? port.split(':')[0] : undefined) : port.host_ip;
      assert.equal(hostIp, '127.0.0.1', `${name} publishes ${JSON.stringify(port)} on every interface`);
    }
    for (const [variable, value] of Object.entries(service.environment ?? {})) {
      if (/ADMIN/.test(variable)) assert.ok(value === '' || value === null, `${name}: ${variable} has a built-in value`);
    }
  }
  // Without S3O_ADMIN_KEY_ID / S3O_ADMIN_SECRET the admin API is off rather than open to a known secret.
  const text = readFileSync(new URL('../config.yaml', import.meta.url), 'utf8');
  assert.equal(parseConfig(text, { S3O_PG_PASSWORD: 'x' }).config.auth.root, null);
  assert.deepEqual(parseConfig(text, { S3O_PG_PASSWORD: 'x', S3O_ADMIN_KEY_ID: 'ops', S3O_ADMIN_SECRET: 'long-random-secret' }).config.auth.root, {
    accessKeyId: 'ops', secretAccessKey: 'long-random-secret',
  });
});

test('the compose config is a valid orchestrator config', () => {
  const { config } = parseConfig(readFileSync(new URL('../config.yaml', import.meta.url), 'utf8'), { S3O_PG_PASSWORD: 'x' });
  assert.equal(config.database.driver, 'postgres');
  assert.equal(config.bus.driver, 'nats');
  assert.equal(config.backends.length, 3);
});

test('compose traces to Jaeger and is scraped by Prometheus; Grafana gets the dashboard and both data sources', () => {
  const doc = parse(execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root, encoding: 'utf8' })) as {
    services: Record<string, { volumes?: Array<string | { source: string }> }>;
  };
  for (const name of ['prometheus', 'grafana']) {
    const service = doc.services[name];
    assert.ok(service, `a ${name} service`);
    // Bind mounts (absolute host paths once resolved) must name files of this checkout.
    const sources = (service.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[0]! : v.source));
    const binds = sources.filter((s) => s.startsWith('/'));
    assert.ok(binds.length > 0, `${name} is configured by bind mounts`);
    for (const source of binds) assert.ok(existsSync(source), `${name} mounts ${source}, which exists`);
  }
  const { config } = parseConfig(readFileSync(new URL('../config.yaml', import.meta.url), 'utf8'), { S3O_PG_PASSWORD: 'x' });
  assert.equal(config.telemetry.tracing.enabled, true);
  assert.equal(config.telemetry.tracing.url, 'http://jaeger:4318/v1/traces');

  const scrape = parse(readFileSync(join(root, 'infra/prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ metrics_path: string; static_configs?: Array<{ targets: string[] }>; dns_sd_configs?: Array<{ names: string[]; port: number }> }>;
  };
  const targets = scrape.scrape_configs.flatMap((c) => [
    ...(c.static_configs ?? []).flatMap((s) => s.targets),
    ...(c.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => `${n}:${d.port}`)),
  ]);
  assert.deepEqual(targets.sort(), ['cleanup:9090', 'gateway-1:9000', 'gateway-2:9000', 'notifier:9090', 'placement:9090', 'usage:9090']);
  for (const c of scrape.scrape_configs) assert.equal(c.metrics_path, config.telemetry.metrics.path);
});

test('every metric the Grafana dashboard queries is one the code defines', () => {
  const dashboard = readFileSync(join(root, 'infra/grafana/dashboards/s3-orchestrator.json'), 'utf8');
  JSON.parse(dashboard);
  const queried = new Set([...dashboard.matchAll(/\bs3o_[a-z_]+\b/g)].map((m) => m[0]));
  const defined = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'test') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        // A histogram also serves <name>_bucket, _count and _sum.
        for (const m of readFileSync(path, 'utf8').matchAll(/'(s3o_[a-z_]+)'/g)) {
          for (const suffix of ['', '_bucket', '_count', '_sum']) defined.add(m[1]! + suffix);
        }
      }
    }
  };
  walk(join(root, 'shared'));
  walk(join(root, 'services'));
  assert.ok(queried.size >= 10, `the dashboard queries metrics: ${[...queried].join(', ')}`);
  assert.deepEqual([...queried].filter((name) => !defined.has(name)), []);
});
