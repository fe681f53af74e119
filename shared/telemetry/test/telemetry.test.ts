// Logs, audit lines, the runtime log level and the health/metrics server, as a process
// uses them (no tracing SDK here: bus and e2e tests cover traces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import {
  auditLog, backendTelemetry, bearerTokenMatches, createLogger, renderMetrics, silentLogger, startHealthServer, startMetricsServer,
  toggleLevelOnSignal, type Logger,
} from '../src/index.js';

function capture(level: 'info' | 'warn' = 'info'): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ service: 'test', level, destination });
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A signal is delivered asynchronously: wait (1 s at most) for its handler to have run. */
async function levelBecomes(logger: Logger, level: string): Promise<void> {
  for (let i = 0; i < 100 && logger.level !== level; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(logger.level, level);
}

test('an audit line is marked, names its event, and is written even when the level hides info', () => {
  const { logger, lines } = capture('warn');
  logger.info('hidden');
  auditLog(logger.child({ component: 'gateway' }), 's3.PutObject', { requestId: 'R1', status: 200 });
  const written = lines();
  assert.equal(written.length, 1);
  assert.deepEqual(
    { audit: written[0]!.audit, event: written[0]!.event, requestId: written[0]!.requestId, status: written[0]!.status, level: written[0]!.level, component: written[0]!.component },
    { audit: true, event: 's3.PutObject', requestId: 'R1', status: 200, level: 'info', component: 'gateway' },
  );
  assert.equal('trace_id' in written[0]!, false, 'outside a span there is no trace id');
  // A silent logger (tests, library defaults) stays silent.
  auditLog(silentLogger(), 'cleanup.delete', {});
});

test('SIGUSR2 switches every logger of the process between its level and debug', async () => {
  const { logger, lines } = capture('info');
  const child = logger.child({ component: 'placement' });
  const remove = toggleLevelOnSignal(logger);
  try {
    child.debug('before');
    process.kill(process.pid, 'SIGUSR2');
    await levelBecomes(logger, 'debug');
    child.debug('during');
    process.kill(process.pid, 'SIGUSR2');
    await levelBecomes(logger, 'info');
    child.debug('after');
  } finally {
    remove();
  }
  const messages = lines().map((l) => l.msg);
  assert.deepEqual(messages, ['log.level', 'during', 'log.level'], 'only the debug line between the two signals, and an audit line per switch');
});

test('backend calls are counted by operation, backend and outcome, and served beside /health', async () => {
  const observer = backendTelemetry();
  observer.start({ backend: 'tb1', operation: 'PutObject', method: 'PUT', ingressBytes: 10 })({ status: 200, cutShort: false, durationMs: 12, egressBytes: 0 });
  observer.start({ backend: 'tb1', operation: 'PutObject', method: 'PUT', ingressBytes: 10 })({ status: 0, error: new Error('reset'), cutShort: false, durationMs: 3, egressBytes: 0 });
  const text = (await renderMetrics()).body;
  assert.match(text, /s3o_backend_requests_total\{operation="PutObject",backend="tb1",status="success"\} 1/);
  assert.match(text, /s3o_backend_requests_total\{operation="PutObject",backend="tb1",status="error"\} 1/);
  assert.match(text, /s3o_backend_duration_seconds_count\{operation="PutObject",backend="tb1"\} 2/);

  let ready = false;
  const server = await startHealthServer('127.0.0.1', 0, { ready: () => ready, status: () => 'degraded' }, { metricsPath: '/internal/metrics' });
  try {
    assert.equal((await fetch(`${server.url}/health/ready`)).status, 503, 'not ready while starting');
    ready = true;
    assert.equal((await fetch(`${server.url}/health/ready`)).status, 200);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200, '/health is 200 even when degraded');
    assert.deepEqual(await health.json(), { status: 'degraded' });
    const metrics = await fetch(`${server.url}/internal/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await metrics.text(), /s3o_backend_requests_total\{operation="PutObject",backend="tb1",status="success"\} 1/);
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404, 'only the configured path');
  } finally {
    await server.close();
  }
});

test('a metrics listener with a bearer token refuses scrapes without it', async () => {
  const server = await startMetricsServer('127.0.0.1', 0, '/metrics', 'scrape-secret');
  try {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer scrape-secre' } })).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } })).status, 200);
  } finally {
    await server.close();
  }
  assert.equal(bearerTokenMatches(undefined, null), true, 'no token configured: open as before');
  assert.equal(bearerTokenMatches('Bearer ', 'x'), false);
});
