// The operator endpoints over real HTTP against real s3rver backends and a SQLite ledger:
// the route table and its OpenAPI document, status, config, workers, object locations,
// browsing, logs and log level, and running jobs now (with NDJSON progress and a polite
// refusal while a pass runs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { PeriodicWorker } from '@s3o/workers';
import { silentLogger } from '@s3o/telemetry';
import { adminOpenApi } from '../src/index.js';
import { assertMatchesRouteTable } from '../src/admin/index.js';
import { ADMIN_ROUTES, routeKey } from '../src/admin/route-table.js';
import { ROOT, send, startAdminWorld, writeObject, type AdminWorld } from './admin-support.js';

const COMMITTED = new URL('../../../docs/admin-api.openapi.json', import.meta.url);

describe('admin API: route table and OpenAPI document', () => {
  test('docs/admin-api.openapi.json is the document generated from the route table', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as unknown;
    assert.deepEqual(committed, adminOpenApi(),
      'the route table changed: run `node --conditions=source --import tsx scripts/write-admin-openapi.ts`');
  });

  test('a registered route missing from the table, or a table entry not registered, fails the start', () => {
    const all = new Set(ADMIN_ROUTES.map((r) => routeKey(r.method, r.path)));
    assert.doesNotThrow(() => assertMatchesRouteTable(all));
    assert.throws(() => assertMatchesRouteTable(new Set([...all, 'GET /secret-endpoint'])), /not in the table \["GET \/secret-endpoint"\]/);
    const fewer = new Set(all);
    fewer.delete('GET /status');
    assert.throws(() => assertMatchesRouteTable(fewer), /not registered \["GET \/status"\]/);
  });
});

describe('admin API: operator endpoints', () => {
  let world: AdminWorld;
  before(async () => {
    world = await startAdminWorld();
  });
  after(() => world.close());

  const get = (path: string) => send(world.url, { method: 'GET', path, as: ROOT });

  test('the running gateway serves the same document, and only to root', async () => {
    const served = await get('/admin/api/openapi.json');
    assert.equal(served.status, 200);
    assert.deepEqual(served.json, adminOpenApi());
    assert.equal((await send(world.url, { method: 'GET', path: '/admin/api/openapi.json' })).status, 403);
  });

  test('status: backends with quota, copies and drain, the queues, intents and the process', async () => {
    await writeObject(world, 'status/a.txt', Buffer.from('hello'), 'b1');
    await world.ledger.claim({ intentId: 'intent-open', kind: 'write', objectKey: 'photos/open', storageKey: 'photos/open!x', sizeBytes: 3, candidates: ['b2'], identity: null });
    await world.ledger.enqueueCleanup([{ kind: 'object', backendName: 'b2', storageKey: 'photos/gone!1', reason: 'test', sizeBytes: 1 }]);
    const status = await get('/admin/api/status');
    assert.equal(status.status, 200);
    const b1 = status.json.backends.find((b: { name: string }) => b.name === 'b1');
    const b2 = status.json.backends.find((b: { name: string }) => b.name === 'b2');
    assert.equal(b1.objects, 1);
    assert.equal(b1.quota.used_bytes, 5);
    assert.equal(b2.quota.inflight_bytes, 3);
    assert.equal(b2.quota.orphan_bytes, 1);
    assert.equal(b1.writable, true);
    assert.equal(b1.drain, null);
    assert.ok(status.json.objects >= 1);
    assert.equal(status.json.replication.factor, world.config.replication.factor);
    assert.equal(status.json.cleanup.queue_depth, 1);
    assert.equal(status.json.open_intents, 1);
    assert.equal(status.json.process.service, 'gateway');
    assert.ok(status.json.services.some((s: { self: boolean }) => s.self), 'this process lists itself before its first heartbeat');
    await world.ledger.dropIntent('intent-open');

    const drain = await send(world.url, { method: 'POST', path: '/admin/api/backends/b2/drain', as: ROOT });
    assert.equal(drain.status, 202);
    const drained = (await get('/admin/api/status')).json.backends.find((b: { name: string }) => b.name === 'b2');
    assert.equal(drained.drain.state === 'draining' || drained.drain.state === 'drained', true);
    assert.equal(drained.writable, false);
    await send(world.url, { method: 'DELETE', path: '/admin/api/backends/b2/drain', as: ROOT });
  });

  test('status lists the processes seen by their heartbeats, with version and uptime', async () => {
    await world.ledger.recordHeartbeat({
      processId: 'placement@other:42:1', service: 'placement', host: 'other', pid: 42, version: '9.9.9', startedAt: Date.now() - 60_000,
      workers: [{ name: 'rebalance', holdsLock: true, lastError: null }],
    }, 3_600_000);
    const services = (await get('/admin/api/status')).json.services;
    const placement = services.find((s: { service: string }) => s.service === 'placement');
    assert.equal(placement.version, '9.9.9');
    assert.ok(placement.uptime_seconds >= 59);
    const workers = await get('/admin/api/workers');
    assert.deepEqual(workers.json.jobs.find((j: { job: string }) => j.job === 'rebalance'), { job: 'rebalance', processes: 1, lock_holder: 'placement@other:42:1' });
  });

  test('config: the running configuration with every secret redacted', async () => {
    const answer = await get('/admin/api/config');
    assert.equal(answer.status, 200);
    const text = JSON.stringify(answer.json);
    assert.ok(!text.includes(ROOT.secretAccessKey), 'the root secret is not shown');
    assert.ok(!text.includes('photos-secret'), 'bucket secrets are not shown');
    assert.ok(!text.includes('"S3RVER"') || answer.json.config.backends.every((b: { secretAccessKey: string }) => b.secretAccessKey === '<redacted>'));
    assert.equal(answer.json.config.auth.root.accessKeyId, ROOT.accessKeyId);
    assert.equal(answer.json.config.auth.root.secretAccessKey, '<redacted>');
    assert.equal(answer.json.reloadable, false, 'this gateway was started without a file to re-read');
  });

  test('object-locations: every copy of one object; 404 for an unknown key or bucket, 400 without one', async () => {
    const written = await writeObject(world, 'where/x.bin', Buffer.from('0123456789'), 'b2');
    const answer = await get('/admin/api/object-locations?bucket=photos&key=where%2Fx.bin');
    assert.equal(answer.status, 200);
    assert.equal(answer.json.size, 10);
    assert.equal(answer.json.copies.length, 1);
    assert.equal(answer.json.copies[0].backend, 'b2');
    assert.ok(answer.json.copies[0].storage_key.startsWith('photos/where/x.bin'), answer.json.copies[0].storage_key);
    assert.equal(answer.json.write_id, written.object.writeId);
    assert.equal(answer.json.copies[0].state, 'ok');
    assert.equal(answer.json.copies[0].current, true);
    assert.equal((await get('/admin/api/object-locations?bucket=photos&key=nope')).json.error.code, 'NoSuchKey');
    assert.equal((await get('/admin/api/object-locations?bucket=nobucket&key=x')).status, 404);
    assert.equal((await get('/admin/api/object-locations?bucket=photos')).status, 400);
  });

  test('objects: browse with prefix, delimiter and pages', async () => {
    for (const key of ['browse/a/1', 'browse/a/2', 'browse/b', 'browse/c']) await writeObject(world, key, Buffer.from(key), 'b1');
    const grouped = await get('/admin/api/objects?bucket=photos&prefix=browse%2F&delimiter=%2F');
    assert.deepEqual(grouped.json.common_prefixes, ['browse/a/']);
    assert.deepEqual(grouped.json.objects.map((o: { key: string }) => o.key), ['browse/b', 'browse/c']);
    assert.equal(grouped.json.objects[0].copies, 1);
    const page1 = await get('/admin/api/objects?bucket=photos&prefix=browse%2F&limit=2');
    assert.deepEqual(page1.json.objects.map((o: { key: string }) => o.key), ['browse/a/1', 'browse/a/2']);
    assert.equal(page1.json.truncated, true);
    const page2 = await get(`/admin/api/objects?bucket=photos&prefix=browse%2F&limit=2&after=${encodeURIComponent(page1.json.next_after)}`);
    assert.deepEqual(page2.json.objects.map((o: { key: string }) => o.key), ['browse/b', 'browse/c']);
  });

  test('logs and log-level: the ring shows what was logged; the level changes at runtime', async () => {
    world.operator.rootLogger.warn({ marker: 'm1' }, 'operator test warning');
    world.operator.rootLogger.debug({ marker: 'm2' }, 'hidden at info');
    const warns = await get('/admin/api/logs?level=warn');
    assert.ok(warns.json.lines.some((l: { marker?: string }) => l.marker === 'm1'));
    assert.ok(!warns.json.lines.some((l: { marker?: string }) => l.marker === 'm2'));
    assert.equal((await get('/admin/api/logs?level=loud')).status, 400);

    assert.equal((await get('/admin/api/log-level')).json.level, 'info');
    const put = await send(world.url, { method: 'PUT', path: '/admin/api/log-level', as: ROOT, body: Buffer.from(JSON.stringify({ level: 'debug' })) });
    assert.deepEqual(put.json, { level: 'debug', previous: 'info' });
    world.operator.rootLogger.child({ component: 'x' }).debug({ marker: 'm3' }, 'now shown');
    const since = Date.now() - 60_000;
    const debug = await get(`/admin/api/logs?level=debug&since=${since}`);
    assert.ok(debug.json.lines.some((l: { marker?: string }) => l.marker === 'm3'), 'children follow the root level');
    const bad = await send(world.url, { method: 'PUT', path: '/admin/api/log-level', as: ROOT, body: Buffer.from('{"level":"chatty"}') });
    assert.equal(bad.status, 400);
    assert.equal((await get('/admin/api/log-level')).json.level, 'debug');
    await send(world.url, { method: 'PUT', path: '/admin/api/log-level', as: ROOT, body: Buffer.from('{"level":"info"}') });
  });

  test('jobs: a pass now with its counts; NDJSON progress; JobBusy while a pass runs; NotRunHere and NoSuchJob', async () => {
    let release: () => void = () => {};
    let passes = 0;
    const worker = new PeriodicWorker({
      name: 'rebalance', lock: 'none', intervalMs: 3_600_000, logger: silentLogger(), registry: world.operator.workers,
      firstTick: { maxDelayMs: 3_600_000, jitter: 1 },
      run: async () => {
        passes += 1;
        await new Promise<void>((resolve) => (release = resolve));
        return { moved: passes };
      },
    });
    worker.start();
    try {
      const plain = send(world.url, { method: 'POST', path: '/admin/api/jobs/rebalance/run', as: ROOT });
      await waitFor(() => passes === 1);
      const busy = await send(world.url, { method: 'POST', path: '/admin/api/jobs/rebalance/run', as: ROOT });
      assert.equal(busy.status, 409);
      assert.equal(busy.json.error.code, 'JobBusy');
      release();
      const done = await plain;
      assert.equal(done.status, 200);
      assert.deepEqual(done.json, { job: 'rebalance', status: 'ok', counts: { moved: 1 } });

      const lines = streamJob(world.url, 'rebalance');
      await waitFor(() => passes === 2);
      release();
      const events = (await lines).map((l) => l.event);
      assert.equal(events[0], 'started');
      assert.equal(events.at(-1), 'done');
    } finally {
      release();
      await worker.stop();
    }
    const notHere = await send(world.url, { method: 'POST', path: '/admin/api/jobs/reconcile/run', as: ROOT });
    assert.equal(notHere.status, 503);
    assert.equal(notHere.json.error.code, 'NotRunHere');
    assert.equal((await send(world.url, { method: 'POST', path: '/admin/api/jobs/defrag/run', as: ROOT })).json.error.code, 'NoSuchJob');
  });
});

describe('admin API: a pass streams its counts as it goes', () => {
  let world: AdminWorld;
  before(async () => {
    world = await startAdminWorld();
  });
  after(() => world?.close());

  test('running lines carry the counts so far; the last line is the summary', async () => {
    let release: () => void = () => {};
    let counts: { seen: number; done: number; failed: number; bytes: number } | null = null;
    const worker = new PeriodicWorker<{ seen: number; done: number; failed: number; bytes: number }>({
      name: 'lifecycle', lock: 'none', intervalMs: 3_600_000, logger: silentLogger(), registry: world.operator.workers,
      firstTick: { maxDelayMs: 3_600_000, jitter: 1 },
      run: async (_signal, progress) => {
        counts = { seen: 0, done: 0, failed: 0, bytes: 0 };
        progress(counts);
        counts.seen = 3;
        counts.done = 2;
        counts.bytes = 2048;
        await new Promise<void>((resolve) => (release = resolve));
        counts.done = 3;
        counts.bytes = 3072;
        return counts;
      },
    });
    worker.start();
    try {
      const running: Array<Record<string, any>> = [];
      const lines = streamJob(world.url, 'lifecycle', (line) => {
        if (line['event'] === 'running') running.push(line);
      });
      await waitFor(() => running.some((l) => l['counts']?.done === 2));
      assert.deepEqual(running.find((l) => l['counts'])!['counts'], { seen: 3, done: 2, failed: 0, bytes: 2048 });
      release();
      const all = await lines as Array<Record<string, any>>;
      assert.equal(all[0]!['event'], 'started');
      const last = all.at(-1)!;
      assert.equal(last['event'], 'done');
      assert.deepEqual(last['counts'], { seen: 3, done: 3, failed: 0, bytes: 3072 });
      assert.equal(worker.record().progress, null, 'no progress once the pass has ended');
    } finally {
      release();
      await worker.stop();
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** POST jobs/{job}/run with Accept: application/x-ndjson, signed as root; the lines (each also to `onLine` as it arrives). */
async function streamJob(origin: string, job: string, onLine?: (line: Record<string, any>) => void): Promise<Array<{ event: string }>> {
  const url = new URL(`/admin/api/jobs/${job}/run`, origin);
  const { ALGORITHM, amzDateOf, canonicalRequest, credentialScope, deriveSigningKey, sha256Hex, signatureHex, stringToSign } = await import('@s3o/s3');
  const amzDate = amzDateOf(new Date());
  const payloadHash = sha256Hex(Buffer.alloc(0));
  const headers: Record<string, string> = { host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash };
  const signed = Object.keys(headers).sort();
  const canonical = canonicalRequest({ method: 'POST', canonicalUri: url.pathname, canonicalQuery: '', headers, signedHeaders: signed, payloadHash });
  const scope = credentialScope(amzDate.slice(0, 8), 'us-east-1', 's3');
  const signature = signatureHex(deriveSigningKey(ROOT.secretAccessKey, amzDate.slice(0, 8), 'us-east-1', 's3'), stringToSign(amzDate, scope, canonical));
  headers['authorization'] = `${ALGORITHM} Credential=${ROOT.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  headers['accept'] = 'application/x-ndjson';
  headers['content-length'] = '0';
  return new Promise((resolve, reject) => {
    const req = request({ hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      assert.equal(res.headers['content-type'], 'application/x-ndjson');
      let text = '';
      let seen = 0;
      res.on('data', (c: Buffer) => {
        text += c.toString();
        const complete = text.split('\n').slice(0, -1);
        for (const l of complete.slice(seen)) if (l !== '') onLine?.(JSON.parse(l));
        seen = complete.length;
      });
      res.on('end', () => resolve(text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: string })));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
