// Bucket addressing and CreateBucket end to end. With server.virtual_host_suffix set, the AWS
// SDK in its default virtual-hosted style (`<bucket>.<suffix>` hosts, forcePathStyle off)
// writes, reads, lists, copies, uploads in parts and deletes; path style keeps working on the
// same gateway and sees the same objects. The suffix is a name of the test's own, resolved to
// the gateway's loopback address by the client's own lookup (no DNS involved). CreateBucket
// on a configured bucket its credential owns answers 200 — tools create the bucket before
// uploading, as rclone (Debian's, which infra/ensure-services.sh installs) does here over
// HTTP; buckets come from the configuration, so creating any other is refused and changes
// nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  expectS3Error,
  getBytes,
  KiB,
  listAllKeys,
  MiB,
  patternBytes,
  put,
  startSystem,
  testNothingEscaped,
  type Credential,
  type E2ESystem,
} from '../src/index.js';

const run = promisify(execFile);
const SUFFIX = 's3o.test';

/** Every `*.s3o.test` (and the suffix itself) is the gateway's loopback address, for this client only. */
function loopbackAgent(): Agent {
  type Lookup = NonNullable<ConstructorParameters<typeof Agent>[0]>['lookup'];
  const lookup: Lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (hostname !== SUFFIX && !hostname.endsWith(`.${SUFFIX}`)) {
      callback(Object.assign(new Error(`${hostname} is not a test name`), { code: 'ENOTFOUND' }));
      return;
    }
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  }) as Lookup;
  return new Agent({ keepAlive: true, lookup });
}

/** The SDK as applications use it by default: virtual-hosted style, against `http://<suffix>:<port>`. */
function virtualHostedClient(gatewayUrl: string, credentials: Credential): S3Client {
  return new S3Client({
    endpoint: `http://${SUFFIX}:${new URL(gatewayUrl).port}`,
    region: 'us-east-1',
    forcePathStyle: false,
    credentials,
    requestHandler: { httpAgent: loopbackAgent() },
  });
}

describe('virtual-hosted addressing and CreateBucket', () => {
  let sys: E2ESystem;
  let bucket: string;
  /** writes go to the first gateway, reads to the last (the same one in single mode) */
  let writer: S3Client;
  let reader: S3Client;
  let pathStyle: S3Client;

  before(async () => {
    sys = await startSystem({ overrides: { server: { virtual_host_suffix: SUFFIX } } });
    bucket = sys.bucket.name;
    writer = virtualHostedClient(sys.gatewayUrls[0]!, sys.bucket.credentials);
    reader = virtualHostedClient(sys.gatewayUrls.at(-1)!, sys.bucket.credentials);
    pathStyle = sys.client();
  });
  after(async () => {
    writer?.destroy();
    reader?.destroy();
    await sys?.stop();
  });

  test('the SDK in virtual-hosted style writes, reads, lists, copies and deletes; path style sees the same objects', async () => {
    const seen: string[] = [];
    writer.middlewareStack.add((next) => async (args) => {
      seen.push(String((args.request as { hostname?: string }).hostname));
      return next(args);
    }, { step: 'finalizeRequest' });

    const body = patternBytes(100 * KiB, 'vhost/one');
    const written = await put(writer, { Bucket: bucket, Key: 'vhost/one', Body: body, ContentType: 'text/x-vhost', Metadata: { style: 'virtual' } });
    assert.deepEqual(seen, [`${bucket}.${SUFFIX}`], 'the SDK addressed the bucket by host name');
    const got = await getBytes(reader, { Bucket: bucket, Key: 'vhost/one' });
    assert.ok(got.body.equals(body));
    assert.equal(got.output.ETag, written.ETag);
    assert.equal(got.output.ContentType, 'text/x-vhost');
    assert.equal(got.output.Metadata?.style, 'virtual');
    const ranged = await getBytes(reader, { Bucket: bucket, Key: 'vhost/one', Range: 'bytes=-10' });
    assert.ok(ranged.body.equals(body.subarray(-10)));

    // The same object, path style; and one written path style, read virtual-hosted.
    assert.ok((await getBytes(pathStyle, { Bucket: bucket, Key: 'vhost/one' })).body.equals(body));
    await put(pathStyle, { Bucket: bucket, Key: 'vhost/two', Body: 'by path' });
    assert.equal((await getBytes(reader, { Bucket: bucket, Key: 'vhost/two' })).body.toString(), 'by path');

    await writer.send(new CopyObjectCommand({ Bucket: bucket, Key: 'vhost/copy', CopySource: `${bucket}/vhost/one` }));
    assert.ok((await getBytes(reader, { Bucket: bucket, Key: 'vhost/copy' })).body.equals(body));
    const listed = await reader.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'vhost/', Delimiter: '/' }));
    assert.deepEqual((listed.Contents ?? []).map((c) => c.Key), ['vhost/copy', 'vhost/one', 'vhost/two']);
    assert.equal((await reader.send(new HeadBucketCommand({ Bucket: bucket }))).$metadata.httpStatusCode, 200);

    // A presigned URL for the virtual host, fetched as a browser would.
    const url = await getSignedUrl(reader, new GetObjectCommand({ Bucket: bucket, Key: 'vhost/two' }), { expiresIn: 300 });
    assert.equal(new URL(url).hostname, `${bucket}.${SUFFIX}`);
    const presigned = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const agent = loopbackAgent();
      import('node:http').then(({ get }) => get(url, { agent }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => {
          agent.destroy();
          resolve({ status: res.statusCode ?? 0, body: text });
        });
      }).on('error', reject), reject);
    });
    assert.deepEqual(presigned, { status: 200, body: 'by path' });

    for (const key of ['vhost/one', 'vhost/two', 'vhost/copy']) await writer.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    assert.deepEqual(await listAllKeys(pathStyle, bucket, 'vhost/'), []);
  });

  test('a multipart upload in virtual-hosted style', async () => {
    const data = patternBytes(6 * MiB + 123, 'vhost/big');
    await new Upload({ client: writer, params: { Bucket: bucket, Key: 'vhost/big', Body: data }, partSize: 5 * MiB, queueSize: 2 }).done();
    const head = await reader.send(new HeadObjectCommand({ Bucket: bucket, Key: 'vhost/big' }));
    assert.match(head.ETag ?? '', /-2"$/);
    assert.ok((await getBytes(reader, { Bucket: bucket, Key: 'vhost/big' })).body.equals(data));
  });

  test('a virtual host names the bucket: another credential\'s bucket is refused, an unknown one does not exist', async () => {
    const other = sys.buckets[1]!;
    await expectS3Error(put(writer, { Bucket: other.name, Key: 'x', Body: 'x' }), { code: 'AccessDenied', status: 403 });
    await expectS3Error(getBytes(reader, { Bucket: 'no-such-bucket', Key: 'x' }), { code: 'NoSuchBucket', status: 404 });
  });

  test('CreateBucket: 200 for a bucket the credential owns, in both styles; any other bucket is refused and nothing changes', async () => {
    for (const client of [writer, pathStyle]) {
      const created = await client.send(new CreateBucketCommand({ Bucket: bucket }));
      assert.equal(created.$metadata.httpStatusCode, 200);
      assert.equal(created.Location, `/${bucket}`);
    }
    await expectS3Error(pathStyle.send(new CreateBucketCommand({ Bucket: sys.buckets[1]!.name })), { code: 'AccessDenied', status: 403 });
    // Making a bucket needs admin-provision, which a bucket's config credential does not hold: refused, nothing made.
    await expectS3Error(pathStyle.send(new CreateBucketCommand({ Bucket: 'made-by-a-client' })), { code: 'AccessDenied', status: 403 });
    await expectS3Error(pathStyle.send(new HeadBucketCommand({ Bucket: 'made-by-a-client' })), { status: 404 });
    await put(pathStyle, { Bucket: bucket, Key: 'after-create', Body: 'still here' });
    assert.equal((await getBytes(reader, { Bucket: bucket, Key: 'after-create' })).body.toString(), 'still here', 'creating an existing bucket emptied nothing');
  });

  test('rclone creates the bucket and copies a tree into it, then reads it back', async () => {
    await run('rclone', ['version']).catch((err: Error) => {
      throw new Error(`rclone is needed (apt-get install rclone; infra/ensure-services.sh installs it): ${err.message}`);
    });
    const dir = await mkdtemp(join(tmpdir(), 's3o-rclone-'));
    try {
      const files = { 'a.txt': patternBytes(1000, 'rc/a'), 'sub/b.bin': patternBytes(300 * KiB, 'rc/b') };
      await rm(join(dir, 'src'), { recursive: true, force: true });
      for (const [name, data] of Object.entries(files)) {
        await run('mkdir', ['-p', join(dir, 'src', name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '')]);
        await writeFile(join(dir, 'src', name), data);
      }
      const { AWS_CA_BUNDLE: _ca, ...inherited } = process.env;
      const env = {
        ...inherited,
        RCLONE_CONFIG_S3O_TYPE: 's3', RCLONE_CONFIG_S3O_PROVIDER: 'Other', RCLONE_CONFIG_S3O_ENDPOINT: sys.url,
        RCLONE_CONFIG_S3O_ACCESS_KEY_ID: sys.bucket.credentials.accessKeyId, RCLONE_CONFIG_S3O_SECRET_ACCESS_KEY: sys.bucket.credentials.secretAccessKey,
        RCLONE_CONFIG_S3O_FORCE_PATH_STYLE: 'true', RCLONE_CONFIG_S3O_REGION: 'us-east-1',
      };
      const common = ['--config', '/dev/null', '--retries', '1', '--low-level-retries', '1'];
      await run('rclone', [...common, 'copy', join(dir, 'src'), `s3o:${bucket}/rclone`], { env });
      for (const [name, data] of Object.entries(files)) {
        assert.ok((await getBytes(reader, { Bucket: bucket, Key: `rclone/${name}` })).body.equals(data), name);
      }
      const listed = await run('rclone', [...common, 'lsf', '-R', `s3o:${bucket}/rclone`], { env });
      assert.deepEqual(listed.stdout.trim().split('\n').sort(), ['a.txt', 'sub/', 'sub/b.bin']);
      await run('rclone', [...common, 'copy', `s3o:${bucket}/rclone`, join(dir, 'back')], { env });
      await run('diff', ['-r', join(dir, 'src'), join(dir, 'back')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  testNothingEscaped(() => sys);
});
