// The gateway against slow and hostile clients (docs/security.md): bodies that stall or
// trickle, headers that never finish, one tenant holding many writes, virtual-hosted keys
// named like the gateway's own routes, reserved and unsendable metadata, unchecked
// DeleteObjects bodies, and who a refused request claimed to be.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  codeOf, openRaw, OTHER, PHOTOS, rawRequest, requestHead, ROOT, startHardenedWorld, waitFor, within, type HardenedWorld,
} from './support/hardened-world.js';

const MiB = 1024 * 1024;

describe('slow bodies and headers', () => {
  let world: HardenedWorld;
  before(async () => {
    world = await startHardenedWorld({
      overrides: { server: { listen_addr: '127.0.0.1:0', read_header_timeout: '400ms', body_idle_timeout: '400ms', min_body_rate: '20KB', idle_timeout: '1s', backend_timeout: '60s' } },
    });
  });
  after(() => world?.close());

  for (const [size, how] of [[1024, 'replay-buffered'], [16 * MiB, 'streamed']] as const) {
    test(`an idle body (${how}) answers 400 RequestTimeout and releases its claim`, async () => {
      const conn = openRaw(world);
      conn.write(requestHead(world, { method: 'PUT', path: `/photos/idle-${size}`, as: PHOTOS, headers: { 'content-length': String(size) } }));
      conn.write(Buffer.alloc(10, 'x'));
      const answer = await within('an answer to the stalled PUT', conn.answer);
      assert.equal(answer?.status, 400, answer?.body);
      assert.equal(codeOf(answer!), 'RequestTimeout');
      conn.socket.destroy();
      await waitFor('the claim released', async () => (await world.inflightBytes()) === 0);
      assert.equal((await world.ledger.getObject(`photos/idle-${size}`)), null);
    });
  }

  test('a body that trickles below min_body_rate is cut, though it is never idle for long', async () => {
    const conn = openRaw(world);
    conn.write(requestHead(world, { method: 'PUT', path: '/photos/trickle', as: PHOTOS, headers: { 'content-length': String(MiB) } }));
    const drip = setInterval(() => conn.write('x'), 50);
    try {
      const answer = await within('an answer to the trickling PUT', conn.answer);
      assert.equal(answer?.status, 400);
      assert.equal(codeOf(answer!), 'RequestTimeout');
    } finally {
      clearInterval(drip);
      conn.socket.destroy();
    }
    await waitFor('the claim released', async () => (await world.inflightBytes()) === 0);
  });

  test('a connection that never finishes its headers is closed', async () => {
    const conn = openRaw(world);
    conn.write('PUT /photos/slowloris HTTP/1.1\r\nhost: x\r\n');
    const drip = setInterval(() => conn.write('x-pad: y\r\n'), 100);
    try {
      await within('the server closing the connection', conn.closed);
    } finally {
      clearInterval(drip);
    }
  });

  test('a client that stops reading its answer is cut off after idle_timeout', async () => {
    const data = Buffer.alloc(24 * MiB, 'r');
    const put = await rawRequest(world, { method: 'PUT', path: '/photos/large', as: PHOTOS }, data);
    assert.equal(put.status, 200, put.body);
    const connections = () => new Promise<number>((resolve, reject) => world.gateway.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    await waitFor('earlier connections gone', async () => (await connections()) === 0);
    const conn = openRaw(world);
    conn.socket.pause(); // reads nothing: the gateway's writes back up, then stall
    conn.write(requestHead(world, { method: 'GET', path: '/photos/large', as: PHOTOS }));
    await waitFor('the download started', async () => (await connections()) === 1);
    // A paused client cannot see the close itself: the gateway's side of the connection goes
    // (backend_timeout is 60 s here, so it is the idle timeout that ends it, not the backend stream).
    await waitFor('the gateway closing the stalled download', async () => (await connections()) === 0);
    conn.socket.destroy();
  });

  test('a body sent at a fair pace is stored', async () => {
    const data = Buffer.alloc(256 * 1024, 'a');
    const answer = await rawRequest(world, { method: 'PUT', path: '/photos/fine', as: PHOTOS }, data);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.headers.etag, `"${createHash('md5').update(data).digest('hex')}"`);
  });
});

describe('writes in flight per credential and per IP', () => {
  let world: HardenedWorld;
  before(async () => {
    world = await startHardenedWorld({
      overrides: { server: { listen_addr: '127.0.0.1:0', max_inflight_writes_per_credential: 2, max_inflight_bytes_per_ip: '3MiB', body_idle_timeout: '30s' } },
    });
  });
  after(() => world?.close());

  test('past max_inflight_writes_per_credential a write gets 503 SlowDown before it claims anything; others are unaffected', async () => {
    const open = [0, 1].map((i) => {
      const conn = openRaw(world);
      conn.write(requestHead(world, { method: 'PUT', path: `/photos/held-${i}`, as: PHOTOS, headers: { 'content-length': '1000' } }));
      conn.write('x');
      return conn;
    });
    await waitFor('both writes claimed', async () => (await world.inflightBytes()) === 2000);
    const third = await rawRequest(world, { method: 'PUT', path: '/photos/third', as: PHOTOS }, 'abc');
    assert.equal(third.status, 503, third.body);
    assert.equal(codeOf(third), 'SlowDown');
    assert.equal(await world.inflightBytes(), 2000, 'the refused write claimed nothing');
    // Another tenant's writes still go through.
    const theirs = await rawRequest(world, { method: 'PUT', path: '/other/theirs', as: OTHER }, 'abc');
    assert.equal(theirs.status, 200, theirs.body);
    for (const conn of open) conn.socket.destroy();
    await waitFor('the held writes released', async () => (await world.inflightBytes()) === 0);
    const again = await rawRequest(world, { method: 'PUT', path: '/photos/third', as: PHOTOS }, 'abc');
    assert.equal(again.status, 200, again.body);
  });

  test('past max_inflight_bytes_per_ip a write gets 503 SlowDown', async () => {
    const conn = openRaw(world);
    conn.write(requestHead(world, { method: 'PUT', path: '/photos/big', as: PHOTOS, headers: { 'content-length': String(2 * MiB) } }));
    conn.write('x');
    await waitFor('the big write claimed', async () => (await world.inflightBytes()) === 2 * MiB);
    const second = await rawRequest(world, { method: 'PUT', path: '/other/big', as: OTHER, headers: { 'content-length': String(2 * MiB) } }, '');
    assert.equal(second.status, 503);
    assert.equal(codeOf(second), 'SlowDown');
    conn.socket.destroy();
    await waitFor('released', async () => (await world.inflightBytes()) === 0);
  });
});

describe('virtual-hosted keys named like the gateway routes', () => {
  let world: HardenedWorld;
  before(async () => {
    world = await startHardenedWorld({
      overrides: {
        server: { listen_addr: '127.0.0.1:0', virtual_host_suffix: 's3.test' },
        rate_limit: { enabled: true, requests_per_sec: 0.01, burst: 3 },
      },
    });
  });
  after(() => world?.close());

  test('photos.<suffix>/admin/… and /health are object keys, not the admin API or the health check', async () => {
    const host = `photos.s3.test:${world.port}`;
    const put = await rawRequest(world, { method: 'PUT', path: '/admin/api/verify', host, as: PHOTOS }, 'not the admin api');
    assert.equal(put.status, 200, put.body);
    const get = await rawRequest(world, { method: 'GET', path: '/admin/api/verify', host, as: PHOTOS });
    assert.equal(get.status, 200);
    assert.equal(get.body, 'not the admin api');
    assert.ok(await world.ledger.getObject('photos/admin/api/verify'));
  });

  test('…and are rate limited like every object request', async () => {
    const host = `photos.s3.test:${world.port}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await rawRequest(world, { method: 'GET', path: '/health', host, as: PHOTOS })).status);
    assert.ok(statuses.includes(503), `statuses: ${statuses.join(',')}`);
    // The gateway's own /health (path-style host) stays exempt.
    assert.equal((await fetch(`${world.url}/health`)).status, 200);
  });
});

describe('metadata, response overrides and request bodies', () => {
  let world: HardenedWorld;
  before(async () => {
    world = await startHardenedWorld();
  });
  after(() => world?.close());

  test('x-amz-meta-s3o-* is reserved: refused with 400 InvalidArgument, nothing stored', async () => {
    const before = await world.storedKeys();
    for (const auth of ['header', 'presigned'] as const) {
      const answer = await rawRequest(world, {
        method: 'PUT', path: '/photos/forged', as: PHOTOS, auth,
        ...(auth === 'header' ? { headers: { 'x-amz-meta-s3o-bucket': 'other' } } : { query: [['x-amz-meta-s3o-key', 'someone-else']] }),
      }, 'forged');
      assert.equal(answer.status, 400, answer.body);
      assert.equal(codeOf(answer), 'InvalidArgument');
    }
    assert.deepEqual(await world.storedKeys(), before);
    assert.equal(await world.ledger.getObject('photos/forged'), null);
  });

  test('metadata beyond Latin-1 set through a presigned URL is answered RFC 2047-encoded, never a 500', async () => {
    const put = await rawRequest(world, { method: 'PUT', path: '/photos/unicode', as: PHOTOS, auth: 'presigned', query: [['x-amz-meta-note', '日本 ü']] }, 'x');
    assert.equal(put.status, 200, put.body);
    for (const method of ['GET', 'HEAD']) {
      const answer = await rawRequest(world, { method, path: '/photos/unicode', as: PHOTOS });
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.headers['x-amz-meta-note'], `=?UTF-8?B?${Buffer.from('日本 ü').toString('base64')}?=`);
    }
  });

  test('a response-* override no header can carry is 400 InvalidArgument with an S3 body', async () => {
    await rawRequest(world, { method: 'PUT', path: '/photos/plain', as: PHOTOS }, 'x');
    const answer = await rawRequest(world, { method: 'GET', path: '/photos/plain', as: PHOTOS, query: [['response-content-disposition', 'attachment; filename="日本.txt"']] });
    assert.equal(answer.status, 400, answer.body);
    assert.equal(codeOf(answer), 'InvalidArgument');
    assert.match(answer.body, /<RequestId>/);
  });

  test('DeleteObjects without Content-MD5 or a checksum is refused as AWS does; with one it deletes', async () => {
    await rawRequest(world, { method: 'PUT', path: '/photos/doomed', as: PHOTOS }, 'x');
    const xml = '<Delete><Object><Key>doomed</Key></Object></Delete>';
    const bare = await rawRequest(world, { method: 'POST', path: '/photos', query: [['delete', '']], as: PHOTOS }, xml);
    assert.equal(bare.status, 400, bare.body);
    assert.equal(codeOf(bare), 'InvalidRequest');
    assert.match(bare.body, /Missing required header for this request: Content-MD5/);
    assert.ok(await world.ledger.getObject('photos/doomed'), 'nothing was deleted');
    const md5 = createHash('md5').update(xml).digest('base64');
    const checked = await rawRequest(world, { method: 'POST', path: '/photos', query: [['delete', '']], as: PHOTOS, headers: { 'content-md5': md5 } }, xml);
    assert.equal(checked.status, 200, checked.body);
    assert.equal(await world.ledger.getObject('photos/doomed'), null);
  });
});

describe('hostile XML bodies', () => {
  let world: HardenedWorld;
  before(async () => {
    world = await startHardenedWorld();
    await rawRequest(world, { method: 'PUT', path: '/photos/bystander', as: PHOTOS }, 'still here');
  });
  after(() => world?.close());

  const hostile = [
    ['entity-heavy text', `<Delete><Object><Key>${'&amp;'.repeat(350_000)}</Key></Object></Delete>`],
    ['endless elements', `<Delete>${'<Object><Key>k</Key></Object>'.repeat(70_000)}</Delete>`],
    ['deep nesting', `<Delete>${'<Object>'.repeat(200_000)}`],
  ] as const;

  for (const [what, xml] of hostile) {
    test(`${what}: refused with MalformedXML while it is still arriving; other requests are served meanwhile`, async () => {
      const body = Buffer.from(xml);
      const md5 = createHash('md5').update(body).digest('base64');
      const conn = openRaw(world);
      conn.write(requestHead(world, {
        method: 'POST', path: '/photos', query: [['delete', '']], as: PHOTOS, headers: { 'content-length': String(body.length), 'content-md5': md5 },
      }));
      // Only the first 512 KiB go out (of bodies under DeleteObjects' 2 MiB cap): a reader that waits for the whole body never answers.
      conn.write(body.subarray(0, 512 * 1024));
      const served = await rawRequest(world, { method: 'GET', path: '/photos/bystander', as: PHOTOS });
      assert.equal(served.status, 200);
      assert.equal(served.body, 'still here');
      const answer = await within('the answer to the hostile body', conn.answer);
      conn.socket.destroy();
      assert.equal(answer?.status, 400, answer?.body);
      assert.equal(codeOf(answer!), 'MalformedXML');
      assert.ok(await world.ledger.getObject('photos/bystander'), 'nothing was deleted');
    });
  }
});

describe('the process-wide buffered-bytes budget', () => {
  let world: HardenedWorld;
  before(async () => {
    world = await startHardenedWorld({ overrides: { server: { listen_addr: '127.0.0.1:0', max_buffered_bytes: '64KiB' } } });
  });
  after(() => world?.close());

  test('a PUT that finds the budget too small streams instead of buffering; an XML body is refused with SlowDown', async () => {
    const data = Buffer.alloc(MiB, 'p');
    const put = await rawRequest(world, { method: 'PUT', path: '/photos/streamed', as: PHOTOS }, data);
    assert.equal(put.status, 200, put.body);
    assert.equal(put.headers.etag, `"${createHash('md5').update(data).digest('hex')}"`);
    const keys = Array.from({ length: 900 }, (_, i) => `<Object><Key>${'k'.repeat(90)}${i}</Key></Object>`).join('');
    const xml = `<Delete>${keys}</Delete>`;
    const md5 = createHash('md5').update(xml).digest('base64');
    const answer = await rawRequest(world, { method: 'POST', path: '/photos', query: [['delete', '']], as: PHOTOS, headers: { 'content-md5': md5 } }, xml);
    assert.equal(answer.status, 503, answer.body);
    assert.equal(codeOf(answer), 'SlowDown');
  });
});

describe('attribution', () => {
  let world: HardenedWorld;
  before(async () => {
    world = await startHardenedWorld();
  });
  after(() => world?.close());

  test('audit lines name the access key a refused request tried, and the key and user of verified requests', async () => {
    const good = await rawRequest(world, { method: 'GET', path: '/photos/absent', as: PHOTOS });
    assert.equal(good.status, 404);
    const wrong = await rawRequest(world, { method: 'GET', path: '/photos/x', as: { accessKeyId: 'AK-PROBE', secretAccessKey: 'guess' } });
    assert.equal(wrong.status, 403);
    const badSecret = await rawRequest(world, { method: 'GET', path: '/photos/x', as: { accessKeyId: PHOTOS.accessKeyId, secretAccessKey: 'wrong' } });
    assert.equal(badSecret.status, 403);
    const admin = await rawRequest(world, { method: 'GET', path: '/admin/api/usage', as: ROOT, payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
    assert.equal(admin.status, 200, admin.body);
    const adminForged = await rawRequest(world, { method: 'GET', path: '/admin/api/usage', as: { accessKeyId: ROOT.accessKeyId, secretAccessKey: 'nope' } });
    assert.equal(adminForged.status, 403);
    await waitFor('five audit lines', () => world.logLines().filter((l) => l.audit).length >= 5);
    const audits = world.logLines().filter((l) => l.audit);
    const line = (predicate: (l: Record<string, unknown>) => boolean) => audits.find(predicate);
    assert.deepEqual(pick(line((l) => l.accessKeyId === 'AK-PROBE')), { status: 403, authenticated: false, user: null });
    assert.deepEqual(pick(line((l) => l.accessKeyId === PHOTOS.accessKeyId && l.status === 403)), { status: 403, authenticated: false, user: null });
    // A config credential is the synthetic user `config:<key id>`; auth.root is `config:root`.
    assert.deepEqual(pick(line((l) => l.accessKeyId === PHOTOS.accessKeyId && l.status === 404)), { status: 404, authenticated: true, user: `config:${PHOTOS.accessKeyId}` });
    assert.deepEqual(pick(line((l) => l.event === 'admin.request' && l.status === 200)), { status: 200, authenticated: true, accessKeyId: ROOT.accessKeyId, user: 'config:root' });
    assert.deepEqual(pick(line((l) => l.event === 'admin.request' && l.status === 403)), { status: 403, authenticated: false, accessKeyId: ROOT.accessKeyId, user: null });
  });
});

function pick(line: Record<string, unknown> | undefined): Record<string, unknown> {
  assert.ok(line, 'no such audit line');
  const out: Record<string, unknown> = { status: line.status, authenticated: line.authenticated };
  if (line.event === 'admin.request') out.accessKeyId = line.accessKeyId;
  out.user = line.user;
  return out;
}

describe('metrics behind a bearer token', () => {
  let world: HardenedWorld;
  before(async () => {
    world = await startHardenedWorld({ overrides: { telemetry: { metrics: { bearer_token: 'scrape-secret' } } } });
  });
  after(() => world?.close());

  test('/metrics on the S3 port answers 401 without the token, and the text with it', async () => {
    assert.equal((await fetch(`${world.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${world.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const ok = await fetch(`${world.url}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /s3o_requests_total|# HELP/);
  });
});
