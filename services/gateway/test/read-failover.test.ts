// GET fails over between the copies the ledger lists: a backend that says "no such key" has
// lost the copy — it is marked missing (not read, not counted; placement repairs it) and the
// next copy answers; a backend that fails otherwise only moves the read on, its copy stays ok.
// HEAD answers from the ledger throughout. Real gateway, s3rver backends, SQLite ledger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { newId, openLedger, storageKeyForInternal, type Ledger } from '@s3o/store';
import { BUCKET, startGatewayHarness, waitFor, type GatewayHarness } from './support/gateway-harness.js';

/** PUT through the gateway (lands on b1: pack), then a second copy on b2 made the way placement makes one. */
async function putTwoCopies(h: GatewayHarness, ledger: Ledger, key: string, body: string): Promise<void> {
  await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const objectKey = `${BUCKET}/${key}`;
  const found = (await ledger.getObject(objectKey))!;
  const intentId = newId();
  const storageKey = storageKeyForInternal(objectKey, intentId);
  const claim = await ledger.claim({ intentId, kind: 'replica', objectKey, storageKey, sizeBytes: body.length, candidates: ['b2'], identity: null });
  assert.ok(claim);
  await h.backends[1]!.raw.putObject(storageKey, Readable.from([Buffer.from(body)]), { contentLength: body.length });
  assert.equal((await ledger.commitReplica({ intentId, writeId: found.object.writeId, events: () => [] })).outcome, 'replicated');
}

async function states(ledger: Ledger, key: string): Promise<string[]> {
  return (await ledger.getObject(`${BUCKET}/${key}`))!.locations.map((l) => `${l.backendName}:${l.state}`);
}

async function getText(h: GatewayHarness, key: string): Promise<string> {
  const out = await h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return out.Body!.transformToString();
}

test('GET reads around a lost copy (marking it missing) and around a failing backend (not marking it)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-read-failover-'));
  const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'read-failover-test' });
  const h = await startGatewayHarness({ ledger, backends: 2 });
  try {
    await putTwoCopies(h, ledger, 'lost', 'the lost copy');
    await putTwoCopies(h, ledger, 'unreachable', 'the unreachable copy');
    assert.deepEqual(await states(ledger, 'lost'), ['b1:ok', 'b2:ok']);

    // b1's bytes of "lost" vanish behind the gateway's back.
    const lost = (await ledger.getObject(`${BUCKET}/lost`))!.locations.find((l) => l.backendName === 'b1')!;
    await h.backends[0]!.raw.deleteObject(lost.storageKey);
    assert.equal(await getText(h, 'lost'), 'the lost copy');
    await waitFor('the lost copy to be marked missing', async () => (await states(ledger, 'lost')).join() === 'b1:missing,b2:ok');
    // A missing copy is no longer read: the next GET goes straight to b2.
    assert.equal(await getText(h, 'lost'), 'the lost copy');
    const head = await h.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'lost' }));
    assert.equal(head.ContentLength, 'the lost copy'.length);

    // b1 stops answering at all: the read moves on, but nothing says the copy is gone.
    h.backends[0]!.process.kill('SIGKILL');
    assert.equal(await getText(h, 'unreachable'), 'the unreachable copy');
    assert.equal(await getText(h, 'unreachable'), 'the unreachable copy');
    assert.deepEqual(await states(ledger, 'unreachable'), ['b1:ok', 'b2:ok']);
  } finally {
    await h.close();
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
});
