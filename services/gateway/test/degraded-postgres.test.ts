// Degraded mode against a database server that really goes away: a private Postgres
// cluster (test/support/private-postgres.ts; the machine's shared cluster is never
// touched) is stopped under a running gateway and started again, with no restart of the
// gateway in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { openLedger, type Ledger } from '@s3o/store';
import { BUCKET, failureOf, startGatewayHarness, waitFor, type GatewayHarness } from './support/gateway-harness.js';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

test('Postgres stopped: reads come from the backends, writes and listings answer 503, /health degraded; started again: normal service without a restart', async () => {
  let pg: PrivatePostgres | null = null;
  let ledger: Ledger | null = null;
  let h: GatewayHarness | null = null;
  try {
    pg = await startPrivatePostgres();
    ledger = await openLedger({
      driver: 'postgres', host: '127.0.0.1', port: pg.port, user: 'postgres', name: 'postgres', sslMode: 'disable',
      source: 'degraded-postgres-test', connectTimeoutMs: 2_000, maxConns: 4,
    });
    h = await startGatewayHarness({ ledger, routing: 'spread', circuitBreaker: { failure_threshold: 2, open_timeout: '200ms' } });
    const send = h.s3.send.bind(h.s3);

    await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.txt', Body: 'old bytes' }));
    const current = 'the bytes written last, before the outage';
    await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept.txt', Body: current, ContentType: 'text/plain', Metadata: { owner: 'ops' } }));
    await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'second.bin', Body: 'second object' }));

    await pg.stop();

    const head = await send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'kept.txt' }));
    assert.equal(head.ETag, `"${md5(current)}"`);
    assert.equal(head.ContentType, 'text/plain');
    assert.deepEqual(head.Metadata, { owner: 'ops' });
    const got = await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'kept.txt' }));
    assert.equal(await got.Body!.transformToString(), current);
    assert.equal(await h.health(), 'degraded');
    const second = await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'second.bin' }));
    assert.equal(await second.Body!.transformToString(), 'second object');

    const before = await h.storedKeys();
    assert.deepEqual(await failureOf(send(new PutObjectCommand({ Bucket: BUCKET, Key: 'during.txt', Body: 'refused' }))), { status: 503, code: 'ServiceUnavailable' });
    assert.deepEqual(await failureOf(send(new ListObjectsV2Command({ Bucket: BUCKET }))), { status: 503, code: 'ServiceUnavailable' });
    assert.deepEqual(await h.storedKeys(), before, 'the refused PUT wrote nothing');
    assert.equal(await h.health(), 'degraded', 'probes keep failing while the server is down');

    await pg.start();
    await waitFor('the gateway to notice the database is back', async () => (await h!.health()) === 'ok');
    await send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after.txt', Body: 'written after the outage' }));
    const listed = await send(new ListObjectsV2Command({ Bucket: BUCKET }));
    assert.deepEqual(listed.Contents?.map((c) => c.Key), ['after.txt', 'kept.txt', 'second.bin']);
    const after = await send(new GetObjectCommand({ Bucket: BUCKET, Key: 'kept.txt' }));
    assert.equal(await after.Body!.transformToString(), current);
  } finally {
    await h?.close();
    await ledger?.close();
    await pg?.destroy();
  }
});
