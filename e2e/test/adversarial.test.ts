// The whole system under attack (docs/security.md): slow headers, slow bodies, floods of
// connections, oversized and malformed inputs, keys that try to leave their bucket, and one
// tenant trying to hold every write. Throughout, a well-behaved client keeps reading and
// writing; it must always be served (its latency during the attacks is measured and
// reported, never asserted). Afterwards nothing an attack sent is stored, and the admin
// verify finds the ledger and the backends in agreement.
//
// Everything comes from 127.0.0.1 here, so the per-IP caps are off (they would count the
// bystander with the attackers); the per-credential caps stand in for them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  getBytes, listAllKeys, listBackend, md5Base64, put, rawFetch, startSystem, waitUntil, type E2ESystem,
} from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';
import { errorCodeOf, openConnection, percentile, signedHead } from '../src/hostile-client.js';

const MiB = 1024 * 1024;

describe('adversarial clients', () => {
  let sys: E2ESystem;
  let bystander: S3Client;
  let main: string;
  let other: string;
  const latencies: number[] = [];
  const failures: string[] = [];
  let stopBystander: () => Promise<void>;

  before(async () => {
    sys = await startSystem({
      backends: [{ quota: '300MiB' }, { quota: '300MiB' }],
      overrides: {
        ...ADMIN_AUTH_OVERRIDES,
        server: {
          read_header_timeout: '1s',
          body_idle_timeout: '1s',
          min_body_rate: '2KB',
          max_inflight_writes_per_ip: 0,
          max_inflight_bytes_per_ip: 0,
          max_inflight_writes_per_credential: 8,
          max_inflight_bytes_per_credential: '250MiB',
        },
      },
    });
    main = sys.bucket.name;
    other = sys.buckets[1]!.name;
    bystander = sys.client(main);
    await put(bystander, { Bucket: main, Key: 'bystander/steady', Body: 'steady state' });
    // The well-behaved client: reads and writes one after another for as long as the attacks last.
    let running = true;
    const loop = (async () => {
      for (let i = 0; running; i++) {
        const started = performance.now();
        try {
          if (i % 4 === 0) await put(bystander, { Bucket: main, Key: `bystander/w-${i % 16}`, Body: `write ${i}` });
          else assert.equal((await getBytes(bystander, { Bucket: main, Key: 'bystander/steady' })).body.toString(), 'steady state');
          latencies.push(performance.now() - started);
        } catch (err) {
          failures.push(`${i}: ${String(err)}`);
        }
      }
    })();
    stopBystander = async () => {
      running = false;
      await loop;
    };
  });

  after(async () => {
    await stopBystander?.();
    await sys?.stop();
  });

  test('slow headers: connections that never finish a request are closed', async () => {
    const conns = Array.from({ length: 40 }, () => openConnection(sys.url));
    for (const c of conns) c.write(`GET /${main}/bystander/steady HTTP/1.1\r\nhost: x\r\n`);
    const drip = setInterval(() => conns.forEach((c) => c.write('x-slow: 1\r\n')), 200);
    try {
      await Promise.all(conns.map((c) => c.closed));
    } finally {
      clearInterval(drip);
    }
  });

  test('a flood of idle connections is shed by the header timeout', async () => {
    const conns = Array.from({ length: 300 }, () => openConnection(sys.url));
    await Promise.all(conns.map((c) => c.closed));
  });

  test('slow bodies: each is cut with 400 RequestTimeout and nothing is stored', async () => {
    const conns = await Promise.all(Array.from({ length: 6 }, async (_, i) => {
      const conn = openConnection(sys.url);
      conn.write(await signedHead(sys.url, {
        method: 'PUT', path: `/${other}/slow/${i}`, credentials: sys.buckets[1]!.credentials, payloadHash: 'UNSIGNED-PAYLOAD',
        headers: { 'content-length': String(40 * MiB) },
      }));
      conn.write('a few bytes');
      return conn;
    }));
    const drip = setInterval(() => conns.forEach((c) => c.write('x')), 300);
    try {
      for (const conn of conns) {
        const answer = await conn.answer;
        assert.equal(answer?.status, 400, answer?.body);
        assert.equal(errorCodeOf(answer), 'RequestTimeout');
        conn.socket.destroy();
      }
    } finally {
      clearInterval(drip);
    }
    assert.deepEqual(await listAllKeys(sys.client(other), other, 'slow/'), []);
  });

  test('one tenant cannot hold every write or reserve every quota', async () => {
    const held = await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const conn = openConnection(sys.url);
      conn.write(await signedHead(sys.url, {
        method: 'PUT', path: `/${other}/hog/${i}`, credentials: sys.buckets[1]!.credentials, payloadHash: 'UNSIGNED-PAYLOAD',
        headers: { 'content-length': String(100 * MiB) },
      }));
      return conn;
    }));
    // Beyond 250 MiB declared (two writes of 100 MiB), the tenant's writes are refused up front.
    const refused = (await Promise.all(held.map((c) => Promise.race([c.answer, new Promise((r) => setTimeout(() => r('held'), 500))]))))
      .filter((a) => a !== 'held') as Array<{ status: number; body: string }>;
    assert.ok(refused.length >= 10, `${refused.length} of 12 refused`);
    for (const answer of refused) assert.equal(errorCodeOf(answer as never), 'SlowDown');
    // The bystander still finds space and a slot.
    await put(bystander, { Bucket: main, Key: 'bystander/during-hog', Body: Buffer.alloc(MiB, 1) });
    for (const conn of held) conn.socket.destroy();
  });

  test('oversized and malformed inputs get S3 errors, and the gateway stays up', async () => {
    const creds = sys.bucket.credentials;
    const huge = openConnection(sys.url);
    huge.write(`GET /${main}/x HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    assert.equal((await huge.answer)?.status, 431);
    const garbage = openConnection(sys.url);
    garbage.write('\x00\x01 NONSENSE\r\n\r\n');
    assert.equal((await garbage.answer)?.status ?? 400, 400);
    const longKey = await rawFetch(sys.url, { method: 'PUT', path: `/${main}/${'k'.repeat(1100)}`, body: 'x', credentials: creds });
    assert.equal(longKey.status, 400);
    assert.match(longKey.body, /KeyTooLongError/);
    const bigMeta = await rawFetch(sys.url, { method: 'PUT', path: `/${main}/meta`, body: 'x', credentials: creds, headers: { 'x-amz-meta-big': 'v'.repeat(3000) } });
    assert.match(bigMeta.body, /MetadataTooLarge/);
    const bomb = `<Delete>${'<Object><Key>k</Key></Object>'.repeat(60_000)}</Delete>`;
    const xml = await rawFetch(sys.url, { method: 'POST', path: `/${main}`, query: { delete: '' }, body: bomb, credentials: creds, headers: { 'content-md5': md5Base64(bomb) } });
    assert.equal(xml.status, 400);
    assert.match(xml.body, /MalformedXML/);
    const doctype = '<!DOCTYPE d [<!ENTITY a "aaaa">]><Delete><Object><Key>&a;</Key></Object></Delete>';
    const dtd = await rawFetch(sys.url, { method: 'POST', path: `/${main}`, query: { delete: '' }, body: doctype, credentials: creds, headers: { 'content-md5': md5Base64(doctype) } });
    assert.match(dtd.body, /MalformedXML/);
    const unchecked = await rawFetch(sys.url, { method: 'POST', path: `/${main}`, query: { delete: '' }, body: '<Delete><Object><Key>bystander/steady</Key></Object></Delete>', credentials: creds });
    assert.match(unchecked.body, /InvalidRequest/);
    const forged = await rawFetch(sys.url, { method: 'PUT', path: `/${main}/forged`, body: 'x', credentials: creds, headers: { 'x-amz-meta-s3o-bucket': other } });
    assert.match(forged.body, /InvalidArgument/);
    assert.equal((await fetch(`${sys.url}/health`)).status, 200);
  });

  test('cross-bucket attempts: another bucket\'s key is refused; dot segments stay inside the bucket', async () => {
    const mine = sys.bucket.credentials;
    const theirs = await rawFetch(sys.url, { method: 'GET', path: `/${other}/anything`, credentials: mine });
    assert.equal(theirs.status, 403);
    await assert.rejects(sys.client(main).send(new GetObjectCommand({ Bucket: other, Key: 'slow/0' })));
    // A key with `..` segments is a key like any other, stored under this bucket's prefix only.
    const key = `../${other}/escaped`;
    const conn = openConnection(sys.url);
    conn.write(await signedHead(sys.url, { method: 'PUT', path: `/${main}/../${other}/escaped`, credentials: mine, body: 'dots', headers: { 'content-length': '4' } }));
    conn.write('dots');
    const answer = await conn.answer;
    conn.socket.destroy();
    assert.equal(answer?.status, 200, answer?.body);
    assert.equal((await getBytes(bystander, { Bucket: main, Key: key })).body.toString(), 'dots');
    assert.deepEqual(await listAllKeys(sys.client(other), other, ''), [], `nothing appeared in ${other}`);
    for (const backend of sys.backends) {
      for (const { storageKey } of await listBackend(backend)) {
        assert.ok(storageKey.startsWith(`${main}/`) || storageKey.startsWith(`${other}/`), storageKey);
        assert.ok(!storageKey.split('/').includes('..'), `${storageKey} keeps a dot-dot segment`);
      }
    }
  });

  test('the bystander was served throughout; nothing leaked', async (t) => {
    await stopBystander();
    assert.deepEqual(failures, [], 'every bystander request succeeded');
    assert.ok(latencies.length > 0);
    t.diagnostic(`bystander during the attacks: ${latencies.length} requests, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
    console.log(`# adversarial (${sys.mode}): bystander ${latencies.length} requests, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
    assert.deepEqual(await listAllKeys(sys.client(other), other, ''), []);
    await waitUntil('admin verify ok (the debts of the cut writes cleaned up)', () => adminCall(sys.url, 'GET', 'verify'),
      (report) => report.status === 200 && report.body.ok === true, { timeoutMs: 60_000, intervalMs: 500 });
  });
});
