// Issue 20 item 4, docs/architecture.md §4 "Backup and restore", SQLite: `admin backup` copies
// the ledger while the orchestrator runs and a writer keeps PUTting; `admin restore` is refused
// while the orchestrator has the ledger open, and once it is stopped puts the backup in place.
// A fresh orchestrator on the restored ledger serves every object acknowledged before the
// backup began, byte for byte; nothing acknowledged after it ended; and `admin verify` finds
// nothing missing and, as leaked, exactly the bytes of the writes the backup does not hold.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { BACKEND_BUCKET, s3Client, writeCrashConfig } from './crash-support/crash-config.js';
import { killServe, startServe, type ServeProcess } from './crash-support/orchestrator-process.js';
import { runCli } from './crash-support/cli-run.js';
import { checkRestored, putObject, startWriter, type Written } from './crash-support/backup-workload.js';
import { waitUntil } from './crash-support/wait-until.js';

const BEFORE = 40;
const AFTER_BACKUP_ACKS = 12;
const WRITERS = 3;

describe('admin backup / admin restore (SQLite)', () => {
  let dir: string;
  const s3rvers: S3rverProcess[] = [];
  const serves: ServeProcess[] = [];
  const clients: S3Client[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-backup-'));
  });
  after(async () => {
    for (const client of clients) client.destroy();
    for (const serve of serves) await killServe(serve);
    for (const s3rver of s3rvers) await s3rver.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a backup taken under writes restores into a fresh process with every earlier object', { timeout: 240_000 }, async () => {
    for (let i = 1; i <= 2; i++) s3rvers.push(await startS3rver({ dir: join(dir, `s3rver-${i}`), buckets: [BACKEND_BUCKET], port: 0 }));
    const { configPath, dbPath } = await writeCrashConfig(dir, s3rvers.map((s, i) => ({ name: `b${i + 1}`, endpoint: s.endpoint })));
    const first = await startServe(configPath);
    serves.push(first);
    const client = s3Client(first.url);
    clients.push(client);

    const all: Written[] = [];
    for (let i = 0; i < BEFORE; i++) all.push(await putObject(client, `before/obj-${String(i).padStart(3, '0')}`));
    const writer = startWriter(client, WRITERS);
    await waitUntil('the writer acknowledges writes', () => writer.written.length, (n) => n >= 5);

    const backupPath = join(dir, 'backups', 'ledger-backup.db');
    const noDir = await runCli(['admin', 'backup', '--config', configPath, '--out', backupPath]);
    assert.equal(noDir.code, 1, `a backup into a missing directory fails: ${noDir.stderr}`);
    assert.ok(!existsSync(backupPath));

    const backupFile = join(dir, 'ledger-backup.db');
    const backupStarted = performance.now();
    const backedUp = await runCli(['admin', 'backup', '--config', configPath, '--out', backupFile]);
    const backupEnded = performance.now();
    assert.equal(backedUp.code, 0, backedUp.stderr);
    assert.match(backedUp.stdout, /^admin backup: .*: \d+ objects, \d+ bytes, schema version \d+\n$/);
    const writtenDuringBackup = writer.written.filter((w) => w.ackedAt >= backupStarted && w.ackedAt <= backupEnded).length;
    const ackedBefore = writer.written.length;
    await waitUntil('the writer goes on after the backup', () => writer.written.length, (n) => n >= ackedBefore + AFTER_BACKUP_ACKS);
    await writer.stop();
    all.push(...writer.written);
    // Only the complete file is left: no temporary copy beside it, no -wal it needs.
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('ledger-backup')), ['ledger-backup.db']);

    const again = await runCli(['admin', 'backup', '--config', configPath, '--out', backupFile]);
    assert.equal(again.code, 1, 'an existing file is never overwritten');
    assert.match(again.stderr, /exists/);

    // Restore is refused while the orchestrator has the ledger open, and changes nothing.
    const ledgerBefore = await stat(dbPath);
    const refused = await runCli(['admin', 'restore', '--config', configPath, '--from', backupFile]);
    assert.equal(refused.code, 3, `${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /open in another process/);
    assert.equal((await stat(dbPath)).ino, ledgerBefore.ino);

    first.kill('SIGTERM');
    await first.exited;
    assert.equal(first.exitCode(), 0, first.outputTail());

    const restored = await runCli(['admin', 'restore', '--config', configPath, '--from', backupFile]);
    assert.equal(restored.code, 0, restored.stderr);
    const kept = (await readdir(dir)).filter((f) => f.startsWith('ledger.db.before-restore-'));
    assert.ok(kept.some((f) => !f.endsWith('-wal') && !f.endsWith('-shm')), `the replaced ledger is kept: ${kept.join(', ')}`);

    const second = await startServe(configPath);
    serves.push(second);
    const reader = s3Client(second.url);
    clients.push(reader);
    const outcome = await checkRestored(reader, configPath, second.url, all, backupStarted, backupEnded, WRITERS);
    assert.ok(outcome.after >= AFTER_BACKUP_ACKS);
    assert.ok(outcome.inBackup >= BEFORE + 5);
    process.stderr.write(`backup test: ${all.length} objects acknowledged, ${writtenDuringBackup} while the backup ran (${Math.round(backupEnded - backupStarted)} ms, CLI start included), ` +
      `${outcome.inBackup} in the backup, ${outcome.leaked} committed after it (leaked per verify), ${outcome.reaped} in flight at the snapshot (reaped)\n`);
  });
});
