// UploadPartCopy done by the backend itself (docs/architecture.md §6, "UploadPartCopy"): s3rver
// answers NotImplemented, so the backend here is a second S3 implementation that has it — this
// project's own gateway (single mode, over an s3rver), as the only backend of the system under
// test. The parts must come out right (bytes, part ETags, the multipart ETag) while the system
// sends the backend UploadPartCopy calls and no UploadPart (its own backend metrics say so).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCopyCommand, type S3Client,
} from '@aws-sdk/client-s3';
import {
  MiB, getBytes, md5Hex, metricValue, multipartEtag, parsePrometheusText, patternBytes, put, startSystem, type E2ESystem,
} from '../src/index.js';

const BACKEND = 'gw';

describe('UploadPartCopy on a backend that implements it', () => {
  let inner: E2ESystem;
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    // The backend: a gateway in this process (single mode whatever the run's mode), one bucket.
    inner = await startSystem({ mode: 'single', backends: [{}], buckets: ['inner-store'] });
    const cred = inner.bucket.credentials;
    sys = await startSystem({
      backends: [{}],
      overrides: {
        backends: [{
          name: BACKEND, endpoint: inner.url, region: 'us-east-1', bucket: 'inner-store',
          access_key_id: cred.accessKeyId, secret_access_key: cred.secretAccessKey, force_path_style: true, quota_bytes: 0,
        }],
      },
    });
    s3 = sys.client(undefined, { maxAttempts: 1, checksums: 'when-required' });
    bucket = sys.bucket.name;
  });
  after(async () => {
    await sys?.stop();
    await inner?.stop();
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
