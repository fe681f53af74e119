// Users, credentials and grants (docs/architecture.md §6 "Authorisation"), provisioned through
// the admin API at run time and driven with the AWS SDK: least-privilege keys, a user on two
// buckets, revocation reaching every gateway, an operator who may drain but not mint keys,
// presigned URLs of stored keys, buckets made and removed through S3, and bad input answered
// as 4xx JSON naming the field. In distributed mode provisioning goes through gateway 1 and
// the keys are used on gateway 2 as well.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand,
  HeadBucketCommand, HeadObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ADMIN_AUTH_OVERRIDES, adminCall } from '../src/admin-calls.js';
import { expectS3Error, gatewayClient, getBytes, put, startSystem, waitUntil, type Credential, type E2ESystem } from '../src/index.js';

const denied = { code: 'AccessDenied', status: 403 };
const run = promisify(execFile);

describe('identity: users, credentials and grants', () => {
  let sys: E2ESystem;
  let main: string;
  let other: string;

  before(async () => {
    sys = await startSystem({ overrides: ADMIN_AUTH_OVERRIDES });
    main = sys.buckets[0]!.name;
    other = sys.buckets[1]!.name;
    // Objects the keys below read, written with the buckets' config credentials (which still work unchanged).
    await put(sys.client(main), { Bucket: main, Key: 'id/existing', Body: 'hello' });
    await put(sys.client(other), { Bucket: other, Key: 'id/source', Body: 'from the other bucket' });
  });
  after(() => sys?.stop());

  /** Makes a user with one fresh key and these grants; waits until every gateway knows the key. */
  async function userWith(name: string, grants: Array<{ kind: string; name: string; permissions: string[] }>): Promise<Credential> {
    assert.equal((await adminCall(sys.url, 'POST', 'users', { body: { name } })).status, 201);
    for (const g of grants) assert.equal((await adminCall(sys.url, 'POST', `users/${name}/grants`, { body: g })).status, 200);
    const issued = await adminCall(sys.url, 'POST', `users/${name}/credentials`, { body: {} });
    assert.equal(issued.status, 201);
    const credentials = { accessKeyId: issued.body.access_key_id, secretAccessKey: issued.body.secret_access_key };
    for (const url of sys.gatewayUrls) {
      await waitUntil(`gateway ${url} knows ${name}'s key`, () => status(gatewayClient(url, credentials).send(new ListBucketsCommand({}))), (s) => s === 200);
    }
    return credentials;
  }

  async function status(p: Promise<unknown>): Promise<number> {
    try {
      await p;
      return 200;
    } catch (err) {
      return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
    }
  }

  /** Clients of a key on every gateway. */
  const clients = (credentials: Credential): S3Client[] => sys.gatewayUrls.map((url) => gatewayClient(url, credentials, { maxAttempts: 1 }));

  test('a read-only key: GET, HEAD and LIST answer; PUT, DELETE, multipart and copy-into are AccessDenied', async () => {
    const key = await userWith('reader', [{ kind: 'bucket', name: main, permissions: ['read', 'list'] }]);
    for (const s3 of clients(key)) {
      assert.equal((await getBytes(s3, { Bucket: main, Key: 'id/existing' })).body.toString(), 'hello');
      await s3.send(new HeadObjectCommand({ Bucket: main, Key: 'id/existing' }));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: main, Prefix: 'id/' }));
      assert.ok(listed.Contents?.some((o) => o.Key === 'id/existing'));
      await expectS3Error(s3.send(new PutObjectCommand({ Bucket: main, Key: 'id/ro-put', Body: 'x' })), denied);
      await expectS3Error(s3.send(new DeleteObjectCommand({ Bucket: main, Key: 'id/existing' })), denied);
      await expectS3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: main, Key: 'id/ro-mpu' })), denied);
      await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: main, Key: 'id/ro-copy', CopySource: `${main}/id/existing` })), denied);
      // A denial says nothing of whether the object exists.
      await expectS3Error(s3.send(new PutObjectCommand({ Bucket: main, Key: 'id/absent', Body: 'x' })), denied);
      // No grant on the other bucket: it is hidden from ListBuckets and refused.
      assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), [main]);
      await expectS3Error(s3.send(new GetObjectCommand({ Bucket: other, Key: 'id/source' })), denied);
      // HeadBucket as AWS: 403 for a bucket that exists but is not yours, 404 for one that does not.
      await s3.send(new HeadBucketCommand({ Bucket: main }));
      await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: other })), { status: 403 });
      await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: 'id-nowhere' })), { status: 404 });
    }
    assert.equal((await sys.client(main).send(new HeadObjectCommand({ Bucket: main, Key: 'id/existing' }))).ContentLength, 5, 'nothing was deleted');
  });

  test('a write-only key writes but cannot read back, list or delete', async () => {
    const key = await userWith('camera', [{ kind: 'bucket', name: main, permissions: ['write'] }]);
    const [s3] = clients(key);
    await put(s3!, { Bucket: main, Key: 'id/upload', Body: 'frame' });
    await expectS3Error(s3!.send(new GetObjectCommand({ Bucket: main, Key: 'id/upload' })), denied);
    await expectS3Error(s3!.send(new HeadObjectCommand({ Bucket: main, Key: 'id/upload' })), { status: 403 });
    await expectS3Error(s3!.send(new ListObjectsV2Command({ Bucket: main })), denied);
    await expectS3Error(s3!.send(new DeleteObjectCommand({ Bucket: main, Key: 'id/upload' })), denied);
    assert.equal((await getBytes(sys.client(main), { Bucket: main, Key: 'id/upload' })).body.toString(), 'frame');
  });

  test('a user with grants on two buckets lists both and copies between them', async () => {
    const key = await userWith('mover', [
      { kind: 'bucket', name: main, permissions: ['all'] },
      { kind: 'bucket', name: other, permissions: ['read', 'list'] },
    ]);
    for (const s3 of clients(key)) {
      assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name).sort(), [main, other].sort());
    }
    const [writer] = clients(key);
    await writer!.send(new CopyObjectCommand({ Bucket: main, Key: 'id/copied', CopySource: `${other}/id/source` }));
    assert.equal((await getBytes(sys.client(main), { Bucket: main, Key: 'id/copied' })).body.toString(), 'from the other bucket');
    // `read` but no `write` on the other bucket: copying into it is refused.
    await expectS3Error(writer!.send(new CopyObjectCommand({ Bucket: other, Key: 'id/back', CopySource: `${main}/id/copied` })), denied);
  });

  test('a revoked key is refused on every gateway; its presigned URLs stop working with it', async () => {
    const key = await userWith('leaky', [{ kind: 'bucket', name: main, permissions: ['read'] }]);
    const urls = await Promise.all(clients(key).map((s3) =>
      getSignedUrl(s3, new GetObjectCommand({ Bucket: main, Key: 'id/existing' }), { expiresIn: 600 })));
    for (const url of urls) assert.equal(await (await fetch(url)).text(), 'hello');

    const revoked = await adminCall(sys.url, 'DELETE', `credentials/${key.accessKeyId}`);
    assert.equal(revoked.status, 200);
    const revokedAt = Date.now();
    // The gateway that made the change refuses at once.
    const [first, ...others] = clients(key);
    await expectS3Error(first!.send(new GetObjectCommand({ Bucket: main, Key: 'id/existing' })), { code: 'InvalidAccessKeyId', status: 403 });
    assert.equal((await fetch(urls[0]!)).status, 403);
    // The others learn it from identity.changed. The deadline is far below the 30 s safety-net
    // rebuild, so passing proves the event did it; the time taken is reported.
    for (const [i, s3] of others.entries()) {
      await waitUntil('the other gateway refuses the revoked key',
        () => status(s3.send(new GetObjectCommand({ Bucket: main, Key: 'id/existing' }))), (s) => s === 403, { timeoutMs: 10_000, intervalMs: 20 });
      console.log(`# revocation reached gateway ${i + 2} after ${Date.now() - revokedAt} ms`);
      assert.equal((await fetch(urls[i + 1]!)).status, 403);
    }
  });

  test('an operator holding only admin-drain can drain a backend but not mint keys or read the queue', async () => {
    const key = await userWith('operator', [{ kind: 'backend', name: '*', permissions: ['admin-drain'] }]);
    const started = await adminCall(sys.url, 'POST', 'backends/b3/drain', { credentials: key });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const cancelled = await adminCall(sys.url, 'DELETE', 'backends/b3/drain', { credentials: key });
    assert.ok(cancelled.status < 300, JSON.stringify(cancelled.body));
    const mint = await adminCall(sys.url, 'POST', 'users/operator/credentials', { credentials: key, body: {} });
    assert.equal(mint.status, 403);
    assert.equal(mint.body.error.code, 'AccessDenied');
    assert.equal((await adminCall(sys.url, 'POST', 'users', { credentials: key, body: { name: 'sneaky' } })).status, 403);
    assert.equal((await adminCall(sys.url, 'GET', 'cleanup-queue', { credentials: key })).status, 403);
    // Not an S3 key either.
    await expectS3Error(gatewayClient(sys.url, key, { maxAttempts: 1 }).send(new GetObjectCommand({ Bucket: main, Key: 'id/existing' })), denied);
  });

  test('CreateBucket and DeleteBucket through S3 need admin-provision; a bucket in use is not deleted', async () => {
    const provisioner = await userWith('provisioner', [{ kind: 'orchestrator', name: '*', permissions: ['admin-provision'] }]);
    const plain = await userWith('plain', [{ kind: 'bucket', name: '*', permissions: ['all'] }]);
    const [asProvisioner] = clients(provisioner);
    const [asPlain] = clients(plain);
    await expectS3Error(asPlain!.send(new CreateBucketCommand({ Bucket: 'id-made' })), denied);
    await asProvisioner!.send(new CreateBucketCommand({ Bucket: 'id-made' }));
    // The `*` grant reaches the new bucket on every gateway.
    for (const s3 of clients(plain)) {
      await waitUntil('every gateway knows the new bucket', () => status(s3.send(new HeadBucketCommand({ Bucket: 'id-made' }))), (s) => s === 200);
    }
    await put(asPlain!, { Bucket: 'id-made', Key: 'k', Body: 'in the new bucket' });
    await expectS3Error(asPlain!.send(new DeleteBucketCommand({ Bucket: 'id-made' })), denied);
    await expectS3Error(asProvisioner!.send(new DeleteBucketCommand({ Bucket: 'id-made' })), { code: 'BucketNotEmpty', status: 409 });
    await expectS3Error(asProvisioner!.send(new DeleteBucketCommand({ Bucket: main })), denied);
    await asPlain!.send(new DeleteObjectCommand({ Bucket: 'id-made', Key: 'k' }));
    await asProvisioner!.send(new DeleteBucketCommand({ Bucket: 'id-made' }));
    await expectS3Error(asPlain!.send(new HeadBucketCommand({ Bucket: 'id-made' })), { status: 404 });
  });

  test('rclone with a stored operator key makes a bucket, copies into it and lists it', async () => {
    const key = await userWith('rcloner', [
      { kind: 'orchestrator', name: '*', permissions: ['admin-provision'] },
      { kind: 'bucket', name: '*', permissions: ['all'] },
    ]);
    const dir = await mkdtemp(join(tmpdir(), 's3o-identity-rclone-'));
    try {
      await writeFile(join(dir, 'note.txt'), 'made by rclone');
      const { AWS_CA_BUNDLE: _ca, ...inherited } = process.env;
      const env = {
        ...inherited,
        RCLONE_CONFIG_S3O_TYPE: 's3', RCLONE_CONFIG_S3O_PROVIDER: 'Other', RCLONE_CONFIG_S3O_ENDPOINT: sys.url,
        RCLONE_CONFIG_S3O_ACCESS_KEY_ID: key.accessKeyId, RCLONE_CONFIG_S3O_SECRET_ACCESS_KEY: key.secretAccessKey,
        RCLONE_CONFIG_S3O_FORCE_PATH_STYLE: 'true', RCLONE_CONFIG_S3O_REGION: 'us-east-1',
      };
      const common = ['--config', '/dev/null', '--retries', '1', '--low-level-retries', '1'];
      await run('rclone', [...common, 'mkdir', 's3o:id-rclone'], { env });
      await run('rclone', [...common, 'copy', join(dir, 'note.txt'), 's3o:id-rclone/notes'], { env });
      const listed = await run('rclone', [...common, 'lsf', 's3o:id-rclone/notes'], { env });
      assert.equal(listed.stdout.trim(), 'note.txt');
      const [s3] = clients(key);
      assert.equal((await getBytes(s3!, { Bucket: 'id-rclone', Key: 'notes/note.txt' })).body.toString(), 'made by rclone');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('aws cli with a stored read-only key: cp down and ls work, cp up is refused', async () => {
    await put(sys.client(main), { Bucket: main, Key: 'cli/readable.txt', Body: 'for the cli' });
    const key = await userWith('cli-reader', [{ kind: 'bucket', name: main, permissions: ['read', 'list'] }]);
    const dir = await mkdtemp(join(tmpdir(), 's3o-identity-aws-'));
    try {
      const { AWS_CA_BUNDLE: _ca, ...inherited } = process.env;
      const env = {
        ...inherited, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_MAX_ATTEMPTS: '1',
      };
      const aws = (...args: string[]) => run('aws', ['--endpoint-url', sys.url, ...args], { env });
      await aws('s3', 'cp', `s3://${main}/cli/readable.txt`, join(dir, 'got.txt'));
      assert.equal(await readFile(join(dir, 'got.txt'), 'utf8'), 'for the cli');
      assert.match((await aws('s3', 'ls', `s3://${main}/cli/`)).stdout, /readable\.txt/);
      await writeFile(join(dir, 'up.txt'), 'refused');
      await assert.rejects(aws('s3', 'cp', join(dir, 'up.txt'), `s3://${main}/cli/up.txt`), /AccessDenied/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('bad input is a 4xx JSON error naming the field; config entries refuse change', async () => {
    const expectField = async (reply: Promise<{ status: number; body: any }>, status: number, field: string) => {
      const r = await reply;
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error.field, field, JSON.stringify(r.body));
    };
    await adminCall(sys.url, 'POST', 'users', { body: { name: 'dana' } });
    await expectField(adminCall(sys.url, 'POST', 'users/dana/grants', { body: { kind: 'bucket', name: main, permissions: ['read', 'fly'] } }), 400, 'permissions');
    await expectField(adminCall(sys.url, 'POST', 'users/dana/grants', { body: { kind: 'bucket', name: main, permissions: ['read', 'admin-read'] } }), 400, 'permissions');
    await expectField(adminCall(sys.url, 'POST', 'users/dana/grants', { body: { kind: 'bucket', name: 'no-such', permissions: ['read'] } }), 404, 'name');
    await expectField(adminCall(sys.url, 'POST', 'users/dana/grants', { body: { kind: 'backend', name: 'b9', permissions: ['admin-drain'] } }), 404, 'name');
    await expectField(adminCall(sys.url, 'POST', 'users/dana/credentials', { body: { secret_access_key: 'short' } }), 400, 'secret_access_key');
    const supplied = { access_key_id: 'AKIADANA00000001', secret_access_key: 'danaSecret0123456789+/=' };
    const registered = await adminCall(sys.url, 'POST', 'users/dana/credentials', { body: supplied });
    assert.equal(registered.status, 201);
    await expectField(adminCall(sys.url, 'POST', 'users/dana/credentials', { body: supplied }), 409, 'access_key_id');
    await expectField(adminCall(sys.url, 'POST', 'users/dana/credentials', { body: { access_key_id: sys.bucket.credentials.accessKeyId } }), 409, 'access_key_id');
    await expectField(adminCall(sys.url, 'DELETE', 'users/dana'), 409, 'name');
    await expectField(adminCall(sys.url, 'DELETE', `credentials/${sys.bucket.credentials.accessKeyId}`), 403, 'access_key_id');
    await expectField(adminCall(sys.url, 'DELETE', `buckets/${main}`), 403, 'name');
    await expectField(adminCall(sys.url, 'POST', 'users', { body: {} }), 400, 'name');
    // Listings never show a secret.
    const listed = await adminCall(sys.url, 'GET', 'users');
    assert.equal(listed.status, 200);
    assert.ok(!JSON.stringify(listed.body).includes(supplied.secret_access_key));
    assert.ok(listed.body.users.some((u: { name: string }) => u.name === 'dana'));
  });
});
