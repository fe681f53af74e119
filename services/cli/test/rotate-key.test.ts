// admin rotate-key's pass over a real gateway's ledger (real s3rver backends, SQLite, the AWS
// SDK): every data key wrapped by the old master key is re-wrapped under the new one without a
// byte on a backend changing; after it, a gateway without the old key reads every object; a
// second run finds nothing left (resumable); a key id that is not configured is refused.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { openConfiguredKeys } from '@s3o/crypto';
import { createGatewayApp } from '@s3o/gateway';
import { openLedger } from '@s3o/store';
import { BUCKET, startGatewayHarness } from '../../gateway/test/support/gateway-harness.js';
import { rotateKey } from '../src/rotate-key.js';

const K1 = Buffer.alloc(32, 1).toString('base64');
const K2 = Buffer.alloc(32, 2).toString('base64');
const key = (id: string, material: string) => ({ id, key: material, file: null });

test('rotate-key re-wraps in the ledger only; the old key can then go', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-rotate-'));
  const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'rotate-test' });
  const h = await startGatewayHarness({ ledger, encryption: { enabled: true, key_id: 'k1', master_key: K1, chunk_size: '4KiB' } });
  try {
    const bodies = new Map([['a', 'first object '.repeat(900)], ['b', 'second'], ['c', '']]);
    for (const [k, body] of bodies) await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: body }));
    const storedBefore = await h.storedKeys();

    const rotated = await openConfiguredKeys(key('k2', K2), [key('k1', K1)], ledger);
    assert.ok(rotated);
    await assert.rejects(rotateKey(ledger, rotated, 'k9', 2), /master key "k9" is not configured/);
    const pages: number[] = [];
    const done = await rotateKey(ledger, rotated, 'k1', 2, (p) => pages.push(p.rewrapped));
    assert.deepEqual({ rewrapped: done.rewrapped, skipped: done.skipped }, { rewrapped: 3, skipped: 0 });
    assert.deepEqual(pages, [2, 3], 'progress after each page');
    assert.deepEqual(await ledger.listObjectsEncryptedWith('k1', '', 10), []);
    assert.equal((await rotateKey(ledger, rotated, 'k1', 2)).rewrapped, 0, 'a second run has nothing left to do');
    assert.deepEqual(await h.storedKeys(), storedBefore, 'no backend object was touched');

    // A gateway holding only the new key reads everything.
    const onlyNew = await openConfiguredKeys(key('k2', K2), [], ledger);
    const config = { ...h.config, encryption: { enabled: true, chunkSize: 4096, masterKey: key('k2', K2), previousKeys: [] } };
    const gateway = createGatewayApp({ ...h.deps, config, keys: onlyNew });
    const url = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    gateway.ready = true;
    const credential = h.config.buckets[0]!.credentials[0]!;
    const s3 = new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey } });
    try {
      for (const [k, body] of bodies) {
        const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: k }));
        assert.equal(await res.Body!.transformToString(), body, k);
      }
    } finally {
      s3.destroy();
      await gateway.app.close();
    }
  } finally {
    await h.close();
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
});
