// Post-restore recovery, docs/architecture.md §4 "Recovering the writes made since a backup"
// (SQLite): a backup, then more writes — new keys, overwrites, deletes, a key written and
// deleted again —, a snapshot of what clients see, the orchestrator stopped, the backup
// restored, `rebuild --merge` run: the restarted orchestrator shows exactly the snapshot
// (no write lost, no deleted key back) and `admin verify` says ok.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { BUCKET, BACKEND_BUCKET, s3Client, writeCrashConfig } from './crash-support/crash-config.js';
import { killServe, startServe, type ServeProcess } from './crash-support/orchestrator-process.js';
import { runCli } from './crash-support/cli-run.js';
import { listKeys } from './crash-support/backup-workload.js';
import { adminVerify } from './crash-support/admin-verify.js';

const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

async function put(client: S3Client, key: string, body: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, Metadata: { origin: key } }));
}

async function del(client: S3Client, key: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
}

/** Every key the bucket lists, with the MD5 of its bytes and its metadata. */
async function snapshot(client: S3Client): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of [...(await listKeys(client))].sort()) {
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    out[key] = `${md5(await got.Body!.transformToByteArray())} ${JSON.stringify(got.Metadata ?? {})}`;
  }
  return out;
}

describe('rebuild --merge after admin restore (SQLite)', () => {
  let dir: string;
  const s3rvers: S3rverProcess[] = [];
  const serves: ServeProcess[] = [];
  const clients: S3Client[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-restore-merge-'));
  });
  after(async () => {
    for (const client of clients) client.destroy();
    for (const serve of serves) await killServe(serve);
    for (const s3rver of s3rvers) await s3rver.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('writes, overwrites and deletes made since the backup survive a restore', { timeout: 300_000 }, async () => {
    for (let i = 1; i <= 2; i++) s3rvers.push(await startS3rver({ dir: join(dir, `s3rver-${i}`), buckets: [BACKEND_BUCKET], port: 0 }));
    const { configPath } = await writeCrashConfig(dir, s3rvers.map((s, i) => ({ name: `b${i + 1}`, endpoint: s.endpoint })), {}, {
      replication: { factor: 2, worker_interval: '200ms' },
    });
    const first = await startServe(configPath);
    serves.push(first);
    const client = s3Client(first.url);
    clients.push(client);

    for (const key of ['kept', 'overwritten', 'deleted', 'deleted-late']) await put(client, key, `before: ${key}`);
    const backupFile = join(dir, 'backup.db');
    const backedUp = await runCli(['admin', 'backup', '--config', configPath, '--out', backupFile]);
    assert.equal(backedUp.code, 0, backedUp.stderr);

    // Since the backup: a new key, an overwrite, a delete, a key written and deleted again.
    await put(client, 'new', 'after: new');
    await put(client, 'overwritten', 'after: overwritten');
    await del(client, 'deleted');
    await put(client, 'born-and-gone', 'after: short-lived');
    await del(client, 'born-and-gone');
    // Let cleanup delete some of the bytes (and markers) owed meanwhile, then one delete more
    // whose bytes are still there at the stop.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await del(client, 'deleted-late');
    const expected = await snapshot(client);
    assert.deepEqual(Object.keys(expected), ['kept', 'new', 'overwritten']);

    first.kill('SIGTERM');
    await first.exited;
    const restored = await runCli(['admin', 'restore', '--config', configPath, '--from', backupFile]);
    assert.equal(restored.code, 0, restored.stderr);

    const dry = await runCli(['rebuild', '--config', configPath, '--merge', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /dry run, nothing written/);
    const merged = await runCli(['rebuild', '--config', configPath, '--merge']);
    assert.equal(merged.code, 0, merged.stderr);
    assert.match(merged.stdout, /1 keys added, 1 replaced by newer writes/);
    process.stderr.write(`restore-merge: ${merged.stdout}`);

    const second = await startServe(configPath);
    serves.push(second);
    const reader = s3Client(second.url);
    clients.push(reader);
    assert.deepEqual(await snapshot(reader), expected);
    const verified = await adminVerify(configPath, second.url);
    assert.ok(verified.report, `admin verify gave no report: ${verified.stderr}`);
    assert.equal(verified.report.ok, true, verified.stdout);

    // Run again: nothing left to merge.
    second.kill('SIGTERM');
    await second.exited;
    const again = await runCli(['rebuild', '--config', configPath, '--merge', '--dry-run']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 keys added, 0 replaced by newer writes, 0 with their copies corrected, 0 deleted since \(markers\), 0 with no byte left removed/);
  });
});
