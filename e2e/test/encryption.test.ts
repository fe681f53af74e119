// Encryption at rest through the whole system (docs/architecture.md, "Encryption at rest"),
// the AWS SDK as the client and a counting proxy in front of the one backend: what the client
// sends comes back byte for byte at every size where chunking has an edge and for every Range
// form; HEAD, LIST and the ETag speak of the plaintext; the backend holds ciphertext only (no
// plaintext marker, the envelope header in its metadata) and the quota is charged the stored
// bytes; a range reads one ranged GET of only the chunks that cover it; a copy re-encrypts;
// a flipped byte on the backend never reaches the client as a clean answer; replication and a
// drain move the ciphertext and its header verbatim.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  ListPartsCommand, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { formatHeader, parseHeader, storedLength } from '@s3o/crypto';
import {
  expectS3Error, gatewayClient, getBytes, KiB, listBackend, md5Base64, md5Hex, metricValue, MiB, multipartEtag, parsePrometheusText, openSystemLedger, readStored, startMeteredSystem, startSystem, storedCopies,
  testNothingEscaped, waitUntil, type E2ESystem, type MeteredSystem, type ProxyCounts,
} from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';

const CHUNK = 16 * KiB;
const MASTER_KEY = Buffer.alloc(32, 0x5a).toString('base64');
const MARKER = 'PLAINTEXT-MARKER-0123456789';

/** Recognisable plaintext: the marker repeated, so any plaintext stretch on the backend shows. */
function markedBytes(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += MARKER.length) out.write(MARKER, i, 'latin1');
  return out;
}

/**
 * Plain GETs the backend received (no query parameter: object reads). The gateway's health
 * prober sends HeadBucket in the background, which may land while a test counts.
 */
function objectGets(counts: ProxyCounts): number {
  return counts.byKind.GET ?? 0;
}

describe('encryption at rest', () => {
  let m: MeteredSystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    m = await startMeteredSystem({
      backends: [{}],
      overrides: { ...ADMIN_AUTH_OVERRIDES, encryption: { enabled: true, key_id: 'e2e-k1', master_key: MASTER_KEY, chunk_size: '16KiB' } },
    });
    s3 = m.sys.client();
    bucket = m.sys.bucket.name;
  });
  after(() => m?.stop());

  async function storedOf(key: string): Promise<{ bytes: Buffer; metadata: Record<string, string> }> {
    const [copy] = await storedCopies(m.sys.backends, bucket, key);
    assert.ok(copy, `${key} is on the backend`);
    const backend = m.sys.backends[0]!;
    const head = await backend.rawClient.send(new HeadObjectCommand({ Bucket: backend.bucket, Key: copy.storageKey }));
    return { bytes: await readStored(backend, copy.storageKey), metadata: head.Metadata ?? {} };
  }

  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * MiB + 1]) {
    test(`${size} bytes: round trip, plaintext size and ETag, only ciphertext on the backend`, async () => {
      const key = `sizes/${size}`;
      const body = markedBytes(size);
      const putOut = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      assert.equal(putOut.ETag, `"${md5Hex(body)}"`);
      const { body: got, output } = await getBytes(s3, { Bucket: bucket, Key: key });
      assert.ok(got.equals(body), 'the bytes come back');
      assert.equal(output.ContentLength, size);
      assert.equal(output.ETag, `"${md5Hex(body)}"`);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      assert.equal(head.ContentLength, size);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
      assert.equal(listed.Contents?.[0]?.Size, size);

      const stored = await storedOf(key);
      assert.equal(stored.bytes.length, storedLength(size, CHUNK), 'plaintext plus one tag per chunk');
      if (size >= MARKER.length) assert.equal(stored.bytes.indexOf(MARKER), -1, 'no plaintext marker on the backend');
      const header = parseHeader(stored.metadata['s3o-enc']!);
      assert.equal(header.keyId, 'e2e-k1');
      assert.equal(header.plaintextLength, size);
      assert.equal(header.chunkSize, CHUNK);

      const ledger = await openSystemLedger(m.sys);
      try {
        const found = await ledger.getObject(`${bucket}/${key}`);
        assert.equal(found?.object.size, size);
        assert.equal(found?.object.storedSize, stored.bytes.length);
        assert.equal(formatHeader(parseHeader(found!.object.encryption!)), stored.metadata['s3o-enc'], 'the ledger keeps the same header');
        assert.equal(found?.locations[0]?.sizeBytes, stored.bytes.length, 'the copy counts stored bytes');
      } finally {
        await ledger.close();
      }
    });
  }

  describe('ranges', () => {
    const SIZE = 3 * CHUNK + 123;
    const KEY = 'ranges/object';
    const body = markedBytes(SIZE);
    for (let i = 0; i < SIZE; i++) body[i] = (body[i]! + i) & 0xff; // every offset distinct enough to catch a shifted range

    before(() => s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: body })).then(() => undefined));

    const forms: Array<[string, number, number]> = [
      ['bytes=0-0', 0, 0],
      ['bytes=0-99', 0, 99],
      [`bytes=${CHUNK - 1}-${CHUNK}`, CHUNK - 1, CHUNK],
      [`bytes=${CHUNK}-${2 * CHUNK - 1}`, CHUNK, 2 * CHUNK - 1],
      [`bytes=100-${3 * CHUNK + 5}`, 100, 3 * CHUNK + 5],
      [`bytes=${2 * CHUNK + 7}-`, 2 * CHUNK + 7, SIZE - 1],
      ['bytes=-10', SIZE - 10, SIZE - 1],
      [`bytes=-${SIZE + 50}`, 0, SIZE - 1],
      [`bytes=${SIZE - 1}-${SIZE + 1000}`, SIZE - 1, SIZE - 1],
    ];
    for (const [range, start, end] of forms) {
      test(`Range ${range}: the plaintext's bytes, from one ranged GET of the covering chunks`, async () => {
        const before = m.proxies[0]!.counts();
        const { body: got, output } = await getBytes(s3, { Bucket: bucket, Key: KEY, Range: range });
        const after = m.proxies[0]!.counts();
        assert.equal(output.$metadata.httpStatusCode, 206);
        assert.equal(output.ContentRange, `bytes ${start}-${end}/${SIZE}`);
        assert.equal(output.ContentLength, end - start + 1);
        assert.ok(got.equals(body.subarray(start, end + 1)), 'the range of the plaintext');
        assert.equal(objectGets(after) - objectGets(before), 1, 'one backend GET');
        const chunks = Math.floor(end / CHUNK) - Math.floor(start / CHUNK) + 1;
        assert.ok(after.egress - before.egress <= chunks * (CHUNK + 16), `at most the ${chunks} covering chunks left the backend (${after.egress - before.egress} bytes)`);
      });
    }

    test('an unsatisfiable range is 416 InvalidRange', async () => {
      await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: KEY, Range: `bytes=${SIZE}-` })), { code: 'InvalidRange', status: 416 });
    });
  });

  for (const size of [1000, 9 * MiB]) {
    test(`a ${size}-byte body with a wrong Content-MD5 is BadDigest and leaves nothing behind`, async () => {
      const key = `baddigest/${size}`;
      const body = markedBytes(size);
      const wrong = md5Base64(Buffer.from('something else'));
      await expectS3Error(s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentMD5: wrong })), { code: 'BadDigest', status: 400 });
      await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), { status: 404 });
      await waitUntil('the attempt\'s bytes to be cleaned up', () => storedCopies(m.sys.backends, bucket, key), (c) => c.length === 0);
    });
  }

  test('a stored credential\'s secret is sealed under the master key in the ledger, and the key works', async () => {
    assert.equal((await adminCall(m.sys.url, 'POST', 'users', { body: { name: 'reader' } })).status, 201);
    assert.equal((await adminCall(m.sys.url, 'POST', 'users/reader/grants', { body: { kind: 'bucket', name: bucket, permissions: ['read', 'list'] } })).status, 200);
    const issued = await adminCall(m.sys.url, 'POST', 'users/reader/credentials', { body: {} });
    assert.equal(issued.status, 201);
    const key = { accessKeyId: issued.body.access_key_id as string, secretAccessKey: issued.body.secret_access_key as string };
    const ledger = await openSystemLedger(m.sys);
    try {
      const stored = (await ledger.identity.snapshot()).credentials.find((c) => c.accessKeyId === key.accessKeyId);
      assert.match(stored?.sealedSecret ?? '', /^sealed-v1:e2e-k1:/);
      assert.equal(stored!.sealedSecret.includes(key.secretAccessKey), false, 'the database does not hold the secret');
    } finally {
      await ledger.close();
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sealed/readable', Body: 'x' }));
    const reader = gatewayClient(m.sys.url, key, { maxAttempts: 1 });
    const got = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: 'sealed/readable' }));
    assert.equal(await got.Body!.transformToString(), 'x');
  });

  test('the quota is charged the stored bytes', async () => {
    const ledger = await openSystemLedger(m.sys);
    try {
      const used = (await ledger.getQuotas()).find((q) => q.backendName === 'b1')!.bytesUsed;
      let stored = 0;
      for (const copy of await listBackend(m.sys.backends[0]!)) stored += copy.size;
      assert.equal(used, stored);
    } finally {
      await ledger.close();
    }
  });

  test('a copy is decrypted and stored under a data key of its own', async () => {
    const body = markedBytes(2 * CHUNK + 3);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy/source', Body: body }));
    const out = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/target', CopySource: `${bucket}/copy/source` }));
    assert.equal(out.CopyObjectResult?.ETag, `"${md5Hex(body)}"`);
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'copy/target' })).body.equals(body));
    const [source, target] = [await storedOf('copy/source'), await storedOf('copy/target')];
    assert.notEqual(parseHeader(source.metadata['s3o-enc']!).wrappedKey.toString('hex'), parseHeader(target.metadata['s3o-enc']!).wrappedKey.toString('hex'));
    assert.ok(!source.bytes.equals(target.bytes));
  });

  test('a flipped byte on the backend is never served as a clean answer', async () => {
    const body = markedBytes(3 * CHUNK);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'tamper/object', Body: body }));
    const [copy] = await storedCopies(m.sys.backends, bucket, 'tamper/object');
    const backend = m.sys.backends[0]!;
    const stored = await storedOf('tamper/object');
    const bad = Buffer.from(stored.bytes);
    bad[CHUNK + 16 + 5]! ^= 0x01; // in the second chunk
    await backend.rawClient.send(new PutObjectCommand({ Bucket: backend.bucket, Key: copy!.storageKey, Body: bad, Metadata: stored.metadata }));
    // A range inside the first, intact chunk still reads; one touching the second does not, and
    // the copy is then marked corrupt: with no other copy, nothing of it is read any more.
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'tamper/object', Range: 'bytes=0-99' })).body.equals(body.subarray(0, 100)));
    await assert.rejects(getBytes(s3, { Bucket: bucket, Key: 'tamper/object', Range: `bytes=${CHUNK}-${CHUNK + 10}` }));
    await assert.rejects(getBytes(s3, { Bucket: bucket, Key: 'tamper/object' }), 'the whole read breaks');
    const ledger = await openSystemLedger(m.sys);
    try {
      const state = await waitUntil('the tampered copy to be marked corrupt', async () => (await ledger.getObject(`${bucket}/tamper/object`))?.locations[0]?.state, (s) => s === 'corrupt');
      assert.equal(state, 'corrupt');
      const events = (await ledger.readEventsAfter(0, 100_000)).filter((e) => e.type === 'integrity.corruption_detected' && e.resource === `${bucket}/tamper/object`);
      assert.equal((events[0]?.data as { reason?: string } | undefined)?.reason, 'authentication');
    } finally {
      await ledger.close();
    }
  });

  describe('multipart', () => {
    const PART = 5 * MiB;
    const KEY = 'multipart/object';
    const body = markedBytes(PART + 1);
    for (let i = 0; i < body.length; i += 997) body[i] = i & 0xff;
    let etag = '';

    before(async () => {
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: KEY }));
      const uploadId = created.UploadId!;
      const parts = [body.subarray(0, PART), body.subarray(PART)];
      const etags: string[] = [];
      for (const [i, part] of parts.entries()) {
        etags.push((await s3.send(new UploadPartCommand({ Bucket: bucket, Key: KEY, UploadId: uploadId, PartNumber: i + 1, Body: part }))).ETag!);
      }
      const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: KEY, UploadId: uploadId }));
      assert.deepEqual(listed.Parts?.map((p) => p.Size), [PART, 1], 'ListParts shows what the client sent');
      const done = await s3.send(new CompleteMultipartUploadCommand({
        Bucket: bucket, Key: KEY, UploadId: uploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }));
      etag = done.ETag!;
    });

    test('5 MiB + 1 in two parts: round trip, plaintext size, ETag of the parts, only ciphertext stored', async () => {
      assert.equal(etag, multipartEtag([md5Hex(body.subarray(0, PART)), md5Hex(body.subarray(PART))]));
      const { body: got, output } = await getBytes(s3, { Bucket: bucket, Key: KEY });
      assert.ok(got.equals(body));
      assert.equal(output.ContentLength, body.length);
      assert.equal((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY }))).ContentLength, body.length);
      const stored = await storedOf(KEY);
      assert.equal(stored.bytes.length, storedLength(PART, CHUNK) + storedLength(1, CHUNK), 'each part its own chunk sequence');
      assert.equal(stored.bytes.indexOf(MARKER), -1, 'no plaintext marker on the backend');
    });

    for (const [range, start, end] of [
      ['bytes=0-10', 0, 10], [`bytes=${PART - 3}-${PART}`, PART - 3, PART], [`bytes=${PART}-`, PART, PART], ['bytes=-2', PART - 1, PART],
      [`bytes=${CHUNK - 1}-${PART - CHUNK}`, CHUNK - 1, PART - CHUNK],
    ] as Array<[string, number, number]>) {
      test(`multipart Range ${range}: one ranged GET of the covering chunks`, async () => {
        const before = m.proxies[0]!.counts();
        const { body: got, output } = await getBytes(s3, { Bucket: bucket, Key: KEY, Range: range });
        const after = m.proxies[0]!.counts();
        assert.equal(output.ContentRange, `bytes ${start}-${end}/${body.length}`);
        assert.ok(got.equals(body.subarray(start, end + 1)));
        assert.equal(objectGets(after) - objectGets(before), 1, 'one backend GET');
        const needed = end - start + 1 + 4 * (CHUNK + 16);
        assert.ok(after.egress - before.egress <= needed, `${after.egress - before.egress} bytes left the backend for ${end - start + 1}`);
      });
    }
  });

  test('/metrics counts the bytes encrypted and decrypted and the reads that failed authentication', async () => {
    // Distributed mode writes through one gateway and reads through another: sum them.
    const texts = await Promise.all(m.sys.gatewayUrls.map(async (url) => (await fetch(`${url}/metrics`)).text()));
    const value = (name: string) => texts.reduce((sum, text) => sum + (metricValue(parsePrometheusText(text), name) ?? 0), 0);
    assert.ok(value('s3o_encryption_encrypted_bytes_total') > 5 * MiB);
    assert.ok(value('s3o_encryption_decrypted_bytes_total') > 5 * MiB);
    assert.ok(value('s3o_encryption_read_failures_total') >= 1, 'the tampered object was counted');
  });

  testNothingEscaped(() => m.sys);
});

describe('encryption at rest: replication and drains move the stored form as it is', () => {
  let sys: E2ESystem;

  before(async () => {
    sys = await startSystem({
      backends: [{}, {}, {}],
      overrides: {
        ...ADMIN_AUTH_OVERRIDES,
        replication: { factor: 2, worker_interval: '1s' },
        encryption: { enabled: true, key_id: 'e2e-k1', master_key: MASTER_KEY, chunk_size: '16KiB' },
      },
    });
  });
  after(() => sys?.stop());

  test('the replica holds the same ciphertext and header; the ledger charges both copies their stored bytes', async () => {
    const s3 = sys.client();
    const bucket = sys.bucket.name;
    const body = markedBytes(CHUNK * 2 + 99);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'replicated', Body: body }));
    const copies = await waitUntil('a second copy', () => storedCopies(sys.backends, bucket, 'replicated'), (c) => c.length === 2);
    const stored = await Promise.all(copies.map(async (c) => {
      const backend = sys.backends.find((b) => b.name === c.backend)!;
      const head = await backend.rawClient.send(new HeadObjectCommand({ Bucket: backend.bucket, Key: c.storageKey }));
      return { bytes: await readStored(backend, c.storageKey), header: head.Metadata?.['s3o-enc'] };
    }));
    assert.ok(stored[0]!.bytes.equals(stored[1]!.bytes), 'byte for byte the same ciphertext');
    assert.equal(stored[0]!.bytes.indexOf(MARKER), -1);
    assert.equal(stored[0]!.header, stored[1]!.header, 'the same envelope header');
    assert.equal(stored[0]!.bytes.length, storedLength(body.length, CHUNK));
    const ledger = await openSystemLedger(sys);
    try {
      const found = await waitUntil('both copies in the ledger', () => ledger.getObject(`${bucket}/replicated`), (f) => f?.locations.length === 2);
      assert.deepEqual(found!.locations.map((l) => l.sizeBytes), [stored[0]!.bytes.length, stored[0]!.bytes.length]);
    } finally {
      await ledger.close();
    }
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'replicated' })).body.equals(body));

    // Draining a backend that holds a copy moves that copy's bytes, verbatim, to the third.
    const drained = copies[0]!.backend;
    assert.equal((await adminCall(sys.url, 'POST', `backends/${drained}/drain`)).status < 300, true);
    const moved = await waitUntil('the copy to leave the drained backend', () => storedCopies(sys.backends, bucket, 'replicated'),
      (c) => c.length === 2 && c.every((x) => x.backend !== drained));
    const third = moved.find((c) => !copies.some((o) => o.backend === c.backend))!;
    const target = sys.backends.find((b) => b.name === third.backend)!;
    assert.ok((await readStored(target, third.storageKey)).equals(stored[0]!.bytes), 'the moved copy is the same ciphertext');
    const head = await target.rawClient.send(new HeadObjectCommand({ Bucket: target.bucket, Key: third.storageKey }));
    assert.equal(head.Metadata?.['s3o-enc'], stored[0]!.header);
    assert.ok((await getBytes(s3, { Bucket: bucket, Key: 'replicated' })).body.equals(body));
  });

  testNothingEscaped(() => sys);
});
