// UploadPartCopy done by the backend itself (docs/architecture.md §6, "Multipart"): s3rver
// answers NotImplemented (part-copy.test.ts proves that fallback), so the backend here is a
// second, real S3 implementation that has it — moto's standalone server (`moto_server`), the
// only backend of the system under test. Another gateway cannot stand in: it refuses the
// gateway's own x-amz-meta-s3o-* metadata from any client. moto is not in Debian's archive (the
// project's scripts cannot install it), so this file skips, saying so, where it is missing.
// The parts must come out right (bytes, part ETags, the multipart ETag) while the system sends
// the backend UploadPartCopy calls and no UploadPart (its own backend metrics say so).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, S3Client, UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import {
  MiB, getBytes, md5Hex, metricValue, multipartEtag, parsePrometheusText, patternBytes, put, startSystem, waitUntil, type E2ESystem,
} from '../src/index.js';

const MOTO = spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const BACKEND = 'moto';
const MOTO_BUCKET = 'moto-store';
const MOTO_KEYS = { accessKeyId: 'moto-key', secretAccessKey: 'moto-secret' };

describe('UploadPartCopy on a backend that implements it (moto)', { skip: MOTO ? false : 'moto_server is not installed' }, () => {
  let moto: ChildProcess | undefined;
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    const port = await freePort();
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const endpoint = `http://127.0.0.1:${port}`;
    const admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: MOTO_KEYS, maxAttempts: 1 });
    await waitUntil('moto_server answering CreateBucket', async () => {
      try {
        await admin.send(new CreateBucketCommand({ Bucket: MOTO_BUCKET }));
        return true;
      } catch {
        return false;
      }
    }, (created) => created, { timeoutMs: 60_000, intervalMs: 300 });
    admin.destroy();
    sys = await startSystem({
      backends: [{}],
      overrides: {
        backends: [{
          name: BACKEND, endpoint, region: 'us-east-1', bucket: MOTO_BUCKET,
          access_key_id: MOTO_KEYS.accessKeyId, secret_access_key: MOTO_KEYS.secretAccessKey, force_path_style: true, quota_bytes: 0,
        }],
      },
    });
    s3 = sys.client(undefined, { maxAttempts: 1, checksums: 'when-required' });
    bucket = sys.bucket.name;
  });
  after(async () => {
    await sys?.stop();
    moto?.kill('SIGTERM');
  });

  async function backendCalls(operation: string): Promise<number> {
    const samples = parsePrometheusText(await (await fetch(`${sys.url}/metrics`)).text());
    return metricValue(samples, 's3o_backend_requests_total', { operation, backend: BACKEND, status: 'success' }) ?? 0;
  }

  test('the parts are copied by the backend: right bytes and ETags, no byte through the system', async () => {
    const data = patternBytes(12 * MiB + 11, 'native/src');
    await put(s3, { Bucket: bucket, Key: 'native/src', Body: data });
    const copiesBefore = await backendCalls('UploadPartCopy');
    const partsBefore = await backendCalls('UploadPart');

    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'native/copy' }));
    const ranges = [[0, 5 * MiB - 1], [5 * MiB, 10 * MiB - 1], [10 * MiB, data.length - 1]] as const;
    const parts = [];
    for (const [i, [start, end]] of ranges.entries()) {
      const out = await s3.send(new UploadPartCopyCommand({
        Bucket: bucket, Key: 'native/copy', UploadId, PartNumber: i + 1, CopySource: `${bucket}/native/src`, CopySourceRange: `bytes=${start}-${end}`,
      }));
      const expected = md5Hex(data.subarray(start, end + 1));
      assert.equal(out.CopyPartResult?.ETag, `"${expected}"`, `part ${i + 1}`);
      parts.push({ PartNumber: i + 1, ETag: out.CopyPartResult!.ETag! });
    }
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'native/copy', UploadId, MultipartUpload: { Parts: parts } }));
    assert.equal(done.ETag, multipartEtag(ranges.map(([s, e]) => md5Hex(data.subarray(s, e + 1)))));
    const got = await getBytes(s3, { Bucket: bucket, Key: 'native/copy' });
    assert.ok(got.body.equals(data));

    assert.equal(await backendCalls('UploadPartCopy') - copiesBefore, 3, 'each part copied by the backend');
    assert.equal(await backendCalls('UploadPart') - partsBefore, 0, 'no part streamed');
  });
});
