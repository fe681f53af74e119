// Reads by part (GetObject/HeadObject ?partNumber=N) and UploadPartCopy (x-amz-copy-source
// with a range on a part of an open upload) — what makes server-side copies above the
// multipart threshold work: the SDK, aws cli's `s3 cp s3://… s3://…` and rclone's `copyto`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, UploadPartCommand,
  UploadPartCopyCommand, type S3Client,
} from '@aws-sdk/client-s3';
import {
  MiB, expectS3Error, getBytes, md5Hex, parsePrometheusText, patternBytes, put, sha256Hex, startSystem, testNothingEscaped, type E2ESystem,
} from '../src/index.js';

const run = promisify(execFile);

describe('reads by part and UploadPartCopy', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;
  const data = patternBytes(12 * MiB, 'parts/src');
  const sizes = [5 * MiB, 5 * MiB, 2 * MiB];

  before(async () => {
    sys = await startSystem();
    s3 = sys.client(undefined, { maxAttempts: 1 });
    bucket = sys.bucket.name;
    const key = 'parts/src';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const parts = [];
    let offset = 0;
    for (const [i, size] of sizes.entries()) {
      const out = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: data.subarray(offset, offset + size) }));
      parts.push({ PartNumber: i + 1, ETag: out.ETag! });
      offset += size;
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  });
  after(() => sys?.stop());

  test('GetObject/HeadObject ?partNumber=N answer part N: 206, its range, x-amz-mp-parts-count', async () => {
    let offset = 0;
    for (const [i, size] of sizes.entries()) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'parts/src', PartNumber: i + 1 }));
      assert.equal(head.$metadata.httpStatusCode, 206);
      assert.equal(head.ContentLength, size);
      assert.equal(head.PartsCount, 3);
      assert.equal(head.ContentRange, `bytes ${offset}-${offset + size - 1}/${data.length}`);
      const { body, output } = await getBytes(s3, { Bucket: bucket, Key: 'parts/src', PartNumber: i + 1 });
      assert.equal(output.$metadata.httpStatusCode, 206);
      assert.equal(output.PartsCount, 3);
      assert.ok(body.equals(data.subarray(offset, offset + size)), `part ${i + 1}`);
      offset += size;
    }
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'parts/src', PartNumber: 4 }), { code: 'InvalidPartNumber', status: 416 });
    await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'parts/src', PartNumber: 4 })), { status: 416 });
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'parts/src', PartNumber: 1, Range: 'bytes=0-1' }), { code: 'InvalidRequest', status: 400 });
  });

  test('an object written whole is one part: part 1 is all of it, part 2 InvalidPartNumber', async () => {
    await put(s3, { Bucket: bucket, Key: 'parts/whole', Body: 'one piece' });
    const { body, output } = await getBytes(s3, { Bucket: bucket, Key: 'parts/whole', PartNumber: 1 });
    assert.equal(body.toString(), 'one piece');
    assert.equal(output.PartsCount, undefined);
    await expectS3Error(getBytes(s3, { Bucket: bucket, Key: 'parts/whole', PartNumber: 2 }), { code: 'InvalidPartNumber', status: 416 });
  });

  test('UploadPartCopy with ranges assembles a copy of the source; each part ETag is the MD5 of its bytes', async () => {
    const key = 'parts/copied';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const ranges: Array<[number, number]> = [[0, 7 * MiB - 1], [7 * MiB, data.length - 1]];
    const parts = [];
    for (const [i, [start, end]] of ranges.entries()) {
      const out = await s3.send(new UploadPartCopyCommand({
        Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, CopySource: `${bucket}/parts/src`, CopySourceRange: `bytes=${start}-${end}`,
      }));
      assert.equal(out.CopyPartResult?.ETag, `"${md5Hex(data.subarray(start, end + 1))}"`);
      assert.ok(out.CopyPartResult?.LastModified instanceof Date);
      parts.push({ PartNumber: i + 1, ETag: out.CopyPartResult!.ETag! });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    const copy = await getBytes(s3, { Bucket: bucket, Key: key });
    assert.equal(sha256Hex(copy.body), sha256Hex(data));
  });

  test('UploadPartCopy errors: a range outside the source, a malformed range, a failed source condition, a forbidden source', async () => {
    const key = 'parts/refused';
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const copyPart = (extra: Record<string, string>) => s3.send(new UploadPartCopyCommand({
      Bucket: bucket, Key: key, UploadId, PartNumber: 1, CopySource: `${bucket}/parts/src`, ...extra,
    }));
    await expectS3Error(copyPart({ CopySourceRange: `bytes=0-${data.length}` }), { code: 'InvalidRange', status: 416 });
    await expectS3Error(copyPart({ CopySourceRange: 'bytes=10-5' }), { code: 'InvalidArgument', status: 400 });
    await expectS3Error(copyPart({ CopySourceRange: 'bytes=-5' }), { code: 'InvalidArgument', status: 400 });
    await expectS3Error(copyPart({ CopySourceIfMatch: '"00000000000000000000000000000000"' }), { code: 'PreconditionFailed', status: 412 });
    await expectS3Error(copyPart({ CopySource: 'e2e-other/anything' }), { code: 'AccessDenied', status: 403 });
    await expectS3Error(copyPart({ CopySource: `${bucket}/parts/none` }), { code: 'NoSuchKey', status: 404 });
    // Nothing was recorded for the refused part.
    const small = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, CopySource: `${bucket}/parts/whole` }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: small.CopyPartResult!.ETag! }] } }));
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: key })).body.toString(), 'one piece');
  });

  test('aws cli: s3 cp of a 30 MB object within the bucket (multipart server-side copy), s3api tagging', async () => {
    const big = patternBytes(30 * 1000 * 1000, 'parts/cli');
    await put(s3, { Bucket: bucket, Key: 'cli/big', Body: big });
    const { AWS_CA_BUNDLE: _ca, ...inherited } = process.env;
    const env = {
      ...inherited, AWS_ACCESS_KEY_ID: sys.bucket.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: sys.bucket.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    const aws = (...args: string[]) => run('aws', ['--endpoint-url', sys.url, ...args], { env, maxBuffer: 16 * MiB });
    await aws('version').catch(() => aws('--version')).catch((err: Error) => {
      throw new Error(`aws cli is needed (infra/ensure-services.sh installs it): ${err.message}`);
    });
    await aws('s3', 'cp', `s3://${bucket}/cli/big`, `s3://${bucket}/cli/big-copy`);
    const copy = await getBytes(s3, { Bucket: bucket, Key: 'cli/big-copy' });
    assert.equal(sha256Hex(copy.body), sha256Hex(big));
    assert.match(copy.output.ETag ?? '', /-\d+"$/, 'the cli copied above its multipart threshold, part by part');

    await aws('s3api', 'put-object-tagging', '--bucket', bucket, '--key', 'cli/big-copy', '--tagging', 'TagSet=[{Key=made-by,Value=cli}]');
    const tags = JSON.parse((await aws('s3api', 'get-object-tagging', '--bucket', bucket, '--key', 'cli/big-copy')).stdout) as { TagSet: unknown };
    assert.deepEqual(tags.TagSet, [{ Key: 'made-by', Value: 'cli' }]);
  });

  test('rclone: copyto server-side with a small upload cutoff copies part by part', async () => {
    const { AWS_CA_BUNDLE: _ca, ...inherited } = process.env;
    const env = {
      ...inherited,
      RCLONE_CONFIG_S3O_TYPE: 's3', RCLONE_CONFIG_S3O_PROVIDER: 'Other', RCLONE_CONFIG_S3O_ENDPOINT: sys.url,
      RCLONE_CONFIG_S3O_ACCESS_KEY_ID: sys.bucket.credentials.accessKeyId, RCLONE_CONFIG_S3O_SECRET_ACCESS_KEY: sys.bucket.credentials.secretAccessKey,
      RCLONE_CONFIG_S3O_FORCE_PATH_STYLE: 'true', RCLONE_CONFIG_S3O_REGION: 'us-east-1',
    };
    const common = ['--config', '/dev/null', '--retries', '1', '--low-level-retries', '1', '--s3-upload-cutoff', '5M', '--s3-copy-cutoff', '5M'];
    await run('rclone', [...common, 'copyto', `s3o:${bucket}/parts/src`, `s3o:${bucket}/parts/rclone-copy`], { env });
    const copy = await getBytes(s3, { Bucket: bucket, Key: 'parts/rclone-copy' });
    assert.equal(sha256Hex(copy.body), sha256Hex(data));
    assert.match(copy.output.ETag ?? '', /-\d+"$/, 'rclone copied server-side, part by part');
  });

  test('s3rver cannot copy parts itself: each backend is asked once (NotImplemented), then every copy streams', async () => {
    const samples = parsePrometheusText(await (await fetch(`${sys.url}/metrics`)).text())
      .filter((m) => m.name === 's3o_backend_requests_total' && m.labels.operation === 'UploadPartCopy');
    assert.ok(samples.length > 0, 'the native copy was tried');
    for (const m of samples) {
      assert.equal(m.labels.status, 'error', `${m.labels.backend}: s3rver has no UploadPartCopy`);
      assert.equal(m.value, 1, `${m.labels.backend} asked once, then remembered`);
    }
  });

  testNothingEscaped(() => sys);
});
