// Issue 20 item 4, docs/architecture.md §4 "Backup and restore", Postgres: the ledger is backed up
// with the documented `pg_dump --format=custom` while the orchestrator runs and a writer keeps
// PUTting, restored with `pg_restore` into a new database, and a fresh orchestrator on it serves
// every object acknowledged before the dump began (pg_dump reads one snapshot), byte for byte,
// with `admin verify` finding nothing missing. `admin backup` on a Postgres ledger prints the
// pg_dump command instead of running. The run has its own databases and NATS stream, dropped after.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { BACKEND_BUCKET, s3Client, writeCrashConfig } from './crash-support/crash-config.js';
import { killServe, startServe, type ServeProcess } from './crash-support/orchestrator-process.js';
import { runCli } from './crash-support/cli-run.js';
import { checkRestored, putObject, startWriter, type Written } from './crash-support/backup-workload.js';
import { waitUntil } from './crash-support/wait-until.js';

const BEFORE = 30;
const AFTER_BACKUP_ACKS = 8;
const WRITERS = 3;
const PG_URL = new URL(process.env['S3O_TEST_PG_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres');
const NATS_URL = process.env['S3O_TEST_NATS_URL'] || 'nats://127.0.0.1:4222';
const PG = {
  host: PG_URL.hostname,
  port: Number(PG_URL.port || 5432),
  user: decodeURIComponent(PG_URL.username) || 'postgres',
  password: PG_URL.password ? decodeURIComponent(PG_URL.password) : null,
};
const PG_ENV = PG.password ? { PGPASSWORD: PG.password } : {};
const PG_TARGET = [`--host=${PG.host}`, `--port=${PG.port}`, `--username=${PG.user}`];

function tool(command: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...PG_ENV }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function mustRun(command: string, args: string[]): Promise<void> {
  const { code, stderr } = await tool(command, args);
  assert.equal(code, 0, `${command} ${args.join(' ')}: ${stderr}`);
}

describe('pg_dump / pg_restore of the ledger (Postgres)', () => {
  const id = `${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  const live = `s3o_backup_${id}`;
  const restoredDb = `s3o_backup_${id}_restored`;
  const stream = `S3O_BACKUP_${id.toUpperCase()}`;
  let dir: string;
  const s3rvers: S3rverProcess[] = [];
  const serves: ServeProcess[] = [];
  const clients: S3Client[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-backup-pg-'));
    await mustRun('createdb', [...PG_TARGET, live]);
  });
  after(async () => {
    for (const client of clients) client.destroy();
    for (const serve of serves) await killServe(serve);
    for (const s3rver of s3rvers) await s3rver.stop();
    for (const name of [live, restoredDb]) await tool('dropdb', [...PG_TARGET, '--if-exists', '--force', name]);
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      for await (const name of jsm.streams.names()) if (name.startsWith(stream)) await jsm.streams.delete(name);
    } finally {
      await nc.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  const configFor = (database: string) => writeCrashConfig(dir, s3rvers.map((s, i) => ({ name: `b${i + 1}`, endpoint: s.endpoint })), {}, {
    database: { driver: 'postgres', ...PG, ...(PG.password === null ? { password: undefined } : {}), name: database, ssl_mode: 'disable', max_conns: 4, min_conns: 1 },
    bus: { driver: 'nats', url: NATS_URL, stream, subject_prefix: `s3o_backup_${id}`, poll_interval: '200ms' },
  });

  test('a dump taken under writes restores into a new database with every earlier object', { timeout: 240_000 }, async () => {
    for (let i = 1; i <= 2; i++) s3rvers.push(await startS3rver({ dir: join(dir, `s3rver-${i}`), buckets: [BACKEND_BUCKET], port: 0 }));
    const { configPath } = await configFor(live);
    const dumpFile = join(dir, 'ledger.dump');

    const printed = await runCli(['admin', 'backup', '--config', configPath, '--out', dumpFile]);
    assert.equal(printed.code, 2, 'admin backup does not run on a Postgres ledger');
    assert.ok(printed.stderr.includes(`pg_dump ${PG_TARGET.join(' ')} --format=custom --file=${dumpFile} ${live}`), printed.stderr);

    const first = await startServe(configPath);
    serves.push(first);
    const client = s3Client(first.url);
    clients.push(client);
    const all: Written[] = [];
    for (let i = 0; i < BEFORE; i++) all.push(await putObject(client, `before/obj-${String(i).padStart(3, '0')}`));
    const writer = startWriter(client, WRITERS);
    await waitUntil('the writer acknowledges writes', () => writer.written.length, (n) => n >= 5);

    // The command `admin backup` printed, as an operator runs it.
    const backupStarted = performance.now();
    await mustRun('pg_dump', [...PG_TARGET, '--format=custom', `--file=${dumpFile}`, live]);
    const backupEnded = performance.now();
    const ackedBefore = writer.written.length;
    await waitUntil('the writer goes on after the dump', () => writer.written.length, (n) => n >= ackedBefore + AFTER_BACKUP_ACKS);
    await writer.stop();
    all.push(...writer.written);
    first.kill('SIGTERM');
    await first.exited;
    assert.equal(first.exitCode(), 0, first.outputTail());

    await mustRun('createdb', [...PG_TARGET, restoredDb]);
    await mustRun('pg_restore', [...PG_TARGET, `--dbname=${restoredDb}`, '--exit-on-error', dumpFile]);
    const restored = await configFor(restoredDb);
    const second = await startServe(restored.configPath);
    serves.push(second);
    const reader = s3Client(second.url);
    clients.push(reader);
    const outcome = await checkRestored(reader, restored.configPath, second.url, all, backupStarted, backupEnded, WRITERS);
    assert.ok(outcome.inBackup >= BEFORE + 5);
    assert.ok(outcome.after >= AFTER_BACKUP_ACKS);
    process.stderr.write(`pg backup test: ${all.length} objects acknowledged, pg_dump ${Math.round(backupEnded - backupStarted)} ms, ` +
      `${outcome.inBackup} in the dump, ${outcome.leaked} committed after it (leaked per verify), ${outcome.reaped} in flight (reaped)\n`);
  });
});
