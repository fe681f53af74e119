// BackendClient.observe against a real S3 server (s3rver): every call is reported once,
// with its operation, status and the body bytes that crossed the wire in each direction —
// what breakers, usage metering, metrics and tracing build on.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { BackendClient, BackendError, ObserverList, type BackendCall, type BackendCallOutcome } from '../src/index.js';
import { makeTempDir, readAll } from './helpers.js';

interface Seen {
  call: BackendCall;
  outcome: BackendCallOutcome | null;
}

describe('BackendClient.observe', () => {
  let s3: S3rverProcess;
  let storage: { dir: string; remove(): Promise<void> };
  let client: BackendClient;
  const seen: Seen[] = [];

  before(async () => {
    storage = await makeTempDir('s3o-observe-');
    s3 = await startS3rver({ dir: storage.dir, buckets: ['b1'] });
    client = new BackendClient({
      name: 'obs', endpoint: s3.endpoint, region: 'us-east-1', bucket: 'b1',
      accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true, timeoutMs: 10_000,
    });
    client.observe({
      start(call) {
        const entry: Seen = { call, outcome: null };
        seen.push(entry);
        return (outcome) => {
          assert.equal(entry.outcome, null, 'an outcome is reported once');
          entry.outcome = outcome;
        };
      },
    });
  });

  after(async () => {
    client?.close();
    await s3?.stop();
    await storage?.remove();
  });

  /** Waits until every started call has ended (a GET ends when its body is consumed or dropped). */
  async function settled(): Promise<Seen[]> {
    for (let i = 0; i < 100 && seen.some((s) => s.outcome === null); i++) await new Promise((r) => setTimeout(r, 10));
    const done = seen.splice(0);
    assert.ok(done.every((s) => s.outcome !== null), 'every call ended');
    return done;
  }

  it('reports a PUT with its ingress bytes and a GET with its egress bytes', async () => {
    const body = Buffer.alloc(100_000, 7);
    await client.putObject('k1', Readable.from([body]), { contentLength: body.length });
    const got = await client.getObject('k1');
    assert.equal((await readAll(got.body)).length, body.length);
    const [put, get] = await settled();
    assert.deepEqual(put!.call, { backend: 'obs', operation: 'PutObject', method: 'PUT', ingressBytes: 100_000 });
    assert.equal(put!.outcome!.status, 200);
    assert.equal(put!.outcome!.error, undefined);
    assert.equal(get!.call.operation, 'GetObject');
    assert.equal(get!.call.ingressBytes, 0);
    assert.equal(get!.outcome!.status, 200);
    assert.equal(get!.outcome!.egressBytes, 100_000);
    assert.equal(get!.outcome!.cutShort, false);
  });

  it('counts a ranged GET by the bytes received, and a body dropped early as cut short', async () => {
    const ranged = await client.getObject('k1', { range: 'bytes=0-999' });
    await readAll(ranged.body);
    const first = await settled();
    assert.equal(first[0]!.outcome!.status, 206);
    assert.equal(first[0]!.outcome!.egressBytes, 1000);

    const big = Buffer.alloc(8 * 1024 * 1024, 1);
    await client.putObject('big', Readable.from([big]), { contentLength: big.length });
    const got = await client.getObject('big');
    for await (const _ of got.body) break; // stop after the first chunk
    const [, dropped] = await settled();
    assert.equal(dropped!.outcome!.cutShort, true);
    assert.ok(dropped!.outcome!.egressBytes > 0 && dropped!.outcome!.egressBytes < big.length, `${dropped!.outcome!.egressBytes}`);
  });

  it('reports a failed answer with its status and error, and HEAD 404 as an accepted answer', async () => {
    assert.equal(await client.headObject('absent'), null);
    await assert.rejects(client.getObject('absent'), BackendError);
    const [head, get] = await settled();
    assert.equal(head!.outcome!.status, 404);
    assert.equal(head!.outcome!.error, undefined);
    assert.equal(get!.outcome!.status, 404);
    assert.ok(get!.outcome!.error instanceof BackendError);
  });

  it('reports a call that never got an answer with status 0', async () => {
    const dead = new BackendClient({
      name: 'dead', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', bucket: 'b1',
      accessKeyId: 'a', secretAccessKey: 's', forcePathStyle: true, timeoutMs: 2000,
    });
    const outcomes: BackendCallOutcome[] = [];
    dead.observe({ start: () => (o) => outcomes.push(o) });
    try {
      await assert.rejects(dead.headBucket(), BackendError);
    } finally {
      dead.close();
    }
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]!.status, 0);
    assert.ok(outcomes[0]!.error);
  });
});

describe('ObserverList', () => {
  it('isolates an observer that throws and ends each call once', () => {
    const list = new ObserverList();
    const ended: string[] = [];
    list.add({ start: () => { throw new Error('broken observer'); } });
    const remove = list.add({ start: (c) => () => ended.push(c.operation) });
    const end = list.start({ backend: 'b', operation: 'X', method: 'GET', ingressBytes: 0 });
    end({ status: 200, durationMs: 1, egressBytes: 0, cutShort: false });
    end({ status: 200, durationMs: 1, egressBytes: 0, cutShort: false });
    assert.deepEqual(ended, ['X']);
    remove();
    assert.equal(list.size, 1);
  });
});
