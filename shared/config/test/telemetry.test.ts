import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configAfter, problemsAfter } from './fixtures.js';

test('telemetry settings are read into Config', () => {
  const { config } = configAfter((d) => {
    d.telemetry = {
      metrics: { enabled: false, path: '/internal/prom', listen: '127.0.0.1:9091', bearer_token: 'scrape-token' },
      tracing: { enabled: true, endpoint: 'http://jaeger:4318', sample_rate: '0.25' },
    };
  });
  assert.deepEqual(config.telemetry, {
    metrics: { enabled: false, path: '/internal/prom', listen: { host: '127.0.0.1', port: 9091 }, bearerToken: 'scrape-token' },
    tracing: { enabled: true, url: 'http://jaeger:4318/v1/traces', sampleRate: 0.25 },
  });
});

test('an OTLP endpoint as upstream writes it (host:port) is reached over https, or http when insecure', () => {
  const secure = configAfter((d) => (d.telemetry = { tracing: { enabled: true, endpoint: 'collector:4318' } })).config;
  assert.equal(secure.telemetry.tracing.url, 'https://collector:4318/v1/traces');
  const insecure = configAfter((d) => (d.telemetry = { tracing: { enabled: true, endpoint: 'collector:4318', insecure: true } })).config;
  assert.equal(insecure.telemetry.tracing.url, 'http://collector:4318/v1/traces');
  const fullPath = configAfter((d) => (d.telemetry = { tracing: { endpoint: 'http://c:4318/custom/v1/traces' } })).config;
  assert.equal(fullPath.telemetry.tracing.url, 'http://c:4318/custom/v1/traces');
});

test('bad telemetry values are refused with their key paths', () => {
  assert.deepEqual(problemsAfter((d) => (d.telemetry = { tracing: { sample_rate: '1.5' } })), ['telemetry.tracing.sample_rate: must be at most 1']);
  assert.deepEqual(problemsAfter((d) => (d.telemetry = { tracing: { sample_rate: '-0.1' } })), ['telemetry.tracing.sample_rate: must not be negative']);
  assert.deepEqual(problemsAfter((d) => (d.telemetry = { tracing: { endpoint: 'ftp://x' } })), [
    'telemetry.tracing.endpoint: expected an OTLP/HTTP URL like "http://localhost:4318" or "host:port", got "ftp://x"',
  ]);
  assert.deepEqual(problemsAfter((d) => (d.telemetry = { metrics: { path: 'metrics' } })), [
    'telemetry.metrics.path: expected an absolute URL path like "/metrics", got "metrics"',
  ]);
  assert.deepEqual(problemsAfter((d) => (d.telemetry = { metrics: { listen: 'nowhere' } })), [
    'telemetry.metrics.listen: expected "host:port" or ":port", got "nowhere"',
  ]);
});

test('on the S3 port the metrics path may not hide a bucket or a gateway route; on its own listener it may', () => {
  assert.deepEqual(problemsAfter((d) => (d.telemetry = { metrics: { path: '/photos/metrics' } })), [
    'telemetry.metrics.path: would hide bucket "photos" on the S3 port; pick another path or set telemetry.metrics.listen',
  ]);
  assert.deepEqual(problemsAfter((d) => (d.telemetry = { metrics: { path: '/health/metrics' } })), [
    'telemetry.metrics.path: "/health" is a route of the gateway; pick another path or set telemetry.metrics.listen',
  ]);
  const { config } = configAfter((d) => (d.telemetry = { metrics: { path: '/photos', listen: ':9091' } }));
  assert.deepEqual(config.telemetry.metrics.listen, { host: '0.0.0.0', port: 9091 });
});
