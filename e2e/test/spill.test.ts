// server.spill_dir: a PUT larger than the replay buffer is spooled to a self-deleting temp file
// and sent from it, so a backend that hangs mid-upload is given up on (backend_timeout) and the
// write is retried on the next backend — where without spill_dir it answers 503
// (interrupted-writes.test.ts). Nothing is left in the spill directory afterwards.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Ledger } from '@s3o/store';
import { KiB, MiB, getBytes, openSystemLedger, patternBytes, put, sha256Hex, startSystem, testNothingEscaped, type E2ESystem } from '../src/index.js';

describe('server.spill_dir: failover for bodies of any size', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let ledger: Ledger;
  let spillDir: string;

  before(async () => {
    spillDir = await mkdtemp(join(tmpdir(), 's3o-spill-'));
    sys = await startSystem({
      backends: [{}, {}],
      routing: 'pack',
      overrides: { server: { replay_buffer_bytes: String(256 * KiB), spill_dir: spillDir, backend_timeout: '2s' } },
    });
    s3 = sys.client(undefined, { maxAttempts: 1 });
    ledger = await openSystemLedger(sys);
  });
  after(async () => {
    sys?.backends[0]?.process.kill('SIGCONT');
    await ledger?.close();
    await sys?.stop();
    await rm(spillDir, { recursive: true, force: true });
  });

  test('a large PUT whose first backend hangs mid-body lands on the next one; the spill file is gone', async () => {
    const bucket = sys.bucket.name;
    const data = patternBytes(3 * MiB, 'spill/big');
    // The first backend in pack order stops answering: the body goes into its socket and stalls.
    sys.backends[0]!.process.kill('SIGSTOP');
    try {
      await put(s3, { Bucket: bucket, Key: 'spill/big', Body: data });
    } finally {
      sys.backends[0]!.process.kill('SIGCONT');
    }
    const found = await ledger.getObject(`${bucket}/spill/big`);
    assert.deepEqual(found?.locations.map((l) => l.backendName), ['b2'], 'committed on the second backend');
    assert.equal(sha256Hex((await getBytes(s3, { Bucket: bucket, Key: 'spill/big' })).body), sha256Hex(data));
    assert.deepEqual(await readdir(spillDir), [], 'the spill file deleted itself');
  });

  testNothingEscaped(() => sys);
});
