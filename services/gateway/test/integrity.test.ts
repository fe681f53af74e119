// integrity.enabled through a real gateway (real s3rver backends, SQLite, the AWS SDK): the
// SHA-256 of the plaintext is recorded at write — in the ledger always, in the backend
// object's metadata when the body was in memory before the upload — and a whole GET of a copy
// whose bytes changed on the backend is cut short instead of answering a clean 200.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { openLedger } from '@s3o/store';
import { BUCKET, startGatewayHarness } from './support/gateway-harness.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

test('the plaintext SHA-256 is recorded at write and a changed copy never reads as a clean 200', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-integrity-'));
  const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'integrity-test' });
  // A 64 KiB replay buffer: the 200 KB object streams (its hash is known only after the upload).
  const h = await startGatewayHarness({ ledger, backends: 1, integrity: { enabled: true }, server: { replay_buffer_bytes: 65536 } });
  try {
    const small = Buffer.from('small body, hashed before the upload');
    const large = Buffer.alloc(200_000, 7);
    await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'small', Body: small }));
    await h.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'large', Body: large, ContentLength: large.length }));

    for (const [key, body] of [['small', small], ['large', large]] as const) {
      const found = await ledger.getObject(`${BUCKET}/${key}`);
      assert.equal(found?.object.contentHash, sha256(body), `${key}: the ledger keeps the plaintext's SHA-256`);
      const res = await h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.ok(Buffer.from(await res.Body!.transformToByteArray()).equals(body), `${key} reads while intact`);
    }
    const backend = h.backends[0]!;
    const smallCopy = (await ledger.getObject(`${BUCKET}/small`))!.locations[0]!;
    const info = await backend.raw.headObject(smallCopy.storageKey);
    assert.equal(info?.metadata['s3o-sha256'], sha256(small), 'a body in memory carries its hash to the backend');

    // The backend hands back other bytes of the same length.
    for (const key of ['small', 'large']) {
      const copy = (await ledger.getObject(`${BUCKET}/${key}`))!.locations[0]!;
      const got = await backend.raw.getObject(copy.storageKey);
      const chunks: Buffer[] = [];
      for await (const c of got.body) chunks.push(c as Buffer);
      const bad = Buffer.concat(chunks);
      bad[bad.length >> 1]! ^= 0x20;
      await backend.raw.putObject(copy.storageKey, Readable.from([bad]), { contentLength: bad.length });
      await assert.rejects(
        h.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })).then((res) => res.Body!.transformToByteArray()),
        `${key}: the transfer breaks instead of completing with wrong bytes`,
      );
    }
  } finally {
    await h.close();
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
});
