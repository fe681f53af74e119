// `s3-orchestrator admin user|credential|grant|bucket` as an operator runs it: the real
// command in a child process, against an orchestrator serving a config file; the key it mints
// is then used with the AWS SDK.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '@s3o/config';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { silentLogger } from '@s3o/telemetry';
import { serve, type RunningOrchestrator } from '../src/index.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], { cwd: REPO, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('s3-orchestrator admin user|credential|grant|bucket', () => {
  let dir: string;
  let s3rver: S3rverProcess;
  let orchestrator: RunningOrchestrator;
  let configPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-cli-identity-'));
    s3rver = await startS3rver({ dir: join(dir, 's3rver'), buckets: ['store'] });
    configPath = join(dir, 'config.yaml');
    const configFile = (listenPort: number) => JSON.stringify({
      server: { listen_addr: `127.0.0.1:${listenPort}` },
      auth: { root: { access_key_id: 'ROOT', secret_access_key: 'root-secret' } },
      buckets: [{ name: 'photos', credentials: [{ access_key_id: 'AK', secret_access_key: 'SK' }] }],
      database: { driver: 'sqlite', path: join(dir, 'ledger.db') },
      backends: [{ name: 'b1', endpoint: s3rver.endpoint, bucket: 'store', access_key_id: 'S3RVER', secret_access_key: 'S3RVER' }],
      logging: { level: 'warn' },
    });
    await writeFile(configPath, configFile(0));
    const { config } = await loadConfig(configPath);
    orchestrator = await serve(config, silentLogger(), { configPath });
    await writeFile(configPath, configFile(Number(new URL(orchestrator.url).port)));
  });
  after(async () => {
    await orchestrator?.stop();
    await s3rver?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('makes a user, mints a key shown once, grants it, and the key works with the SDK', async () => {
    const created = await cli(['admin', 'user', 'create', 'backup', '--config', configPath]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'user backup created\n');
    const issued = await cli(['admin', 'credential', 'issue', 'backup', '--config', configPath, '--json']);
    assert.equal(issued.code, 0, issued.stderr);
    const key = JSON.parse(issued.stdout) as { access_key_id: string; secret_access_key: string };
    const granted = await cli(['admin', 'grant', 'add', 'backup', 'bucket', 'photos', 'read,list', '--config', configPath]);
    assert.equal(granted.code, 0, granted.stderr);
    assert.equal(granted.stdout, 'backup holds list,read on bucket photos\n');

    const listed = await cli(['admin', 'user', 'list', '--config', configPath]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^backup\\n  key   ${key.access_key_id}\\n  grant bucket photos: list,read\\n`));
    assert.ok(!listed.stdout.includes(key.secret_access_key), 'a listing never shows the secret');

    const s3 = new S3Client({
      endpoint: orchestrator.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
      credentials: { accessKeyId: key.access_key_id, secretAccessKey: key.secret_access_key },
    });
    const owner = new S3Client({ endpoint: orchestrator.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } });
    await owner.send(new PutObjectCommand({ Bucket: 'photos', Key: 'a', Body: 'A' }));
    assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a' }))).Body!.transformToString(), 'A');
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'b', Body: 'B' })), { name: 'AccessDenied' });

    const revoked = await cli(['admin', 'credential', 'revoke', key.access_key_id, '--config', configPath]);
    assert.equal(revoked.code, 0, revoked.stderr);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a' })), { name: 'InvalidAccessKeyId' });
    const renamed = await cli(['admin', 'user', 'rename', 'backup', 'verifier', '--config', configPath]);
    assert.equal(renamed.stdout, 'user backup is now verifier\n', renamed.stderr);
    assert.equal((await cli(['admin', 'user', 'delete', 'verifier', '--config', configPath])).code, 0);
    owner.destroy();
    s3.destroy();
  });

  test('buckets: create, list, delete; refusals exit 1 naming the field; an operator key from the environment', async () => {
    assert.equal((await cli(['admin', 'bucket', 'create', 'archive', '--config', configPath])).code, 0);
    const buckets = await cli(['admin', 'bucket', 'list', '--config', configPath]);
    assert.match(buckets.stdout, /^photos  config file\narchive  created /);
    const configBucket = await cli(['admin', 'bucket', 'delete', 'photos', '--config', configPath]);
    assert.equal(configBucket.code, 3, 'refused by the gateway');
    assert.ok(configBucket.stderr.includes(`AccessDenied (403): bucket photos is defined in ${configPath}; remove it there [field: name]`), configBucket.stderr);
    assert.equal((await cli(['admin', 'bucket', 'delete', 'archive', '--config', configPath])).code, 0);

    await cli(['admin', 'user', 'create', 'ops', '--config', configPath]);
    const bad = await cli(['admin', 'grant', 'add', 'ops', 'backend', '*', 'admin-drain,read', '--config', configPath]);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /InvalidArgument \(400\): .*\[field: permissions\]/);
    assert.equal((await cli(['admin', 'grant', 'set', 'ops', 'orchestrator', '*', 'admin-read', '--config', configPath])).code, 0);
    const opsKey = JSON.parse((await cli(['admin', 'credential', 'issue', 'ops', '--config', configPath, '--json'])).stdout) as Record<string, string>;
    const env = { S3O_ACCESS_KEY_ID: opsKey.access_key_id!, S3O_SECRET_ACCESS_KEY: opsKey.secret_access_key! };
    assert.equal((await cli(['admin', 'user', 'list', '--config', configPath], env)).code, 0, 'admin-read may list');
    const mint = await cli(['admin', 'credential', 'issue', 'ops', '--config', configPath], env);
    assert.equal(mint.code, 3);
    assert.match(mint.stderr, /AccessDenied \(403\).*admin-keys/);

    const usage = await cli(['admin', 'grant', 'add', 'ops']);
    assert.equal(usage.code, 2, 'bad usage');
    assert.match(usage.stderr, /expected: grant add USER KIND NAME/);
  });
});
