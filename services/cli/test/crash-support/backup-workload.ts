// The workload of the backup tests: objects written through the gateway before a backup, a
// writer that keeps writing while the backup runs, and the checks after a restore — every
// object acknowledged before the backup began reads back byte for byte, every object
// acknowledged after it ended is absent from the restored ledger, and `admin verify` finds
// nothing missing, and as leaked only bytes of writes the backup does not hold (committed
// after the snapshot: on the backends, in no record).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { adminVerify } from './admin-verify.js';
import { BUCKET } from './crash-config.js';

export interface Written {
  key: string;
  sha256: string;
  /** performance.now() when the PUT was acknowledged */
  ackedAt: number;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export async function putObject(client: S3Client, key: string): Promise<Written> {
  const body = randomBytes(4096 + Math.floor(Math.random() * 60_000));
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return { key, sha256: sha(body), ackedAt: performance.now() };
}

/** PUTs `during/…` keys `concurrency` at a time until stop() is called. */
export function startWriter(client: S3Client, concurrency = 3): { written: Written[]; stop(): Promise<void> } {
  const written: Written[] = [];
  let next = 0;
  let stopping = false;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopping) written.push(await putObject(client, `during/obj-${String(next++).padStart(5, '0')}`));
  });
  return {
    written,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

export async function listKeys(client: S3Client): Promise<Set<string>> {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.add(o.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

export async function readSha(client: S3Client, key: string): Promise<string> {
  const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return sha(await got.Body!.transformToByteArray());
}

/**
 * After a restore of a backup that ran from `backupStarted` to `backupEnded` (performance.now()):
 * the restored ledger's view, checked against what was acknowledged.
 */
export async function checkRestored(
  client: S3Client, configPath: string, url: string, all: Written[], backupStarted: number, backupEnded: number, inFlightAtMost: number,
): Promise<{ inBackup: number; after: number; leaked: number; reaped: number }> {
  const listed = await listKeys(client);
  const before = all.filter((w) => w.ackedAt < backupStarted);
  const after = all.filter((w) => w.ackedAt > backupEnded);
  for (const w of before) {
    assert.ok(listed.has(w.key), `${w.key} was acknowledged before the backup began but is not in the restored ledger`);
    assert.equal(await readSha(client, w.key), w.sha256, `${w.key} reads back other bytes`);
  }
  for (const w of after) assert.ok(!listed.has(w.key), `${w.key} was acknowledged after the backup ended, yet the backup holds it`);
  // Objects acknowledged while the backup ran are in it or not, whole either way.
  for (const w of all) if (listed.has(w.key)) assert.equal(await readSha(client, w.key), w.sha256, `${w.key} reads back other bytes`);
  assert.equal(listed.size, all.filter((w) => listed.has(w.key)).length, 'the restored ledger lists keys nobody wrote');

  const verified = await adminVerify(configPath, url);
  assert.ok(verified.report, `admin verify gave no report: ${verified.stderr}`);
  const leaked = new Set<string>();
  for (const b of verified.report.backends) {
    assert.equal(b.error, null, `${b.backend} not verified: ${b.error}`);
    assert.equal(b.missing.count, 0, `${b.backend}: the restored ledger names copies the backend lacks: ${JSON.stringify(b.missing.keys)}`);
    assert.equal(b.leaked.truncated, false);
    for (const k of b.leaked.keys) leaked.add(k.storage_key.replace(new RegExp(`^${BUCKET}/`), '').replace(/![0-9A-Z]{26}$/, ''));
  }
  const notRestored = all.filter((w) => !listed.has(w.key));
  // A write in flight at the snapshot is in the backup as an intent only: the reaper of the
  // restored orchestrator owes its bytes to cleanup, so verify does not count them as leaked.
  // Only PUTs the writer had open then (its concurrency) can be such; every other write the
  // backup lacks is a commit after the snapshot, its bytes on the backend in no record.
  for (const key of leaked) assert.ok(notRestored.some((w) => w.key === key), `verify finds ${key} leaked, but the restored ledger holds it`);
  const reaped = notRestored.filter((w) => !leaked.has(w.key));
  for (const w of reaped) assert.ok(w.ackedAt >= backupStarted, `${w.key}, acknowledged before the backup began, is neither restored nor on a backend`);
  assert.ok(reaped.length <= inFlightAtMost, `${reaped.length} writes neither restored nor leaked; at most ${inFlightAtMost} were in flight at the snapshot`);
  assert.equal(verified.report.ok, leaked.size === 0);
  return { inBackup: all.length - notRestored.length, after: after.length, leaked: leaked.size, reaped: reaped.length };
}
