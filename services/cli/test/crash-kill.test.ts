// Issue 5 item 6, docs/architecture.md §4 "Crash anywhere is recoverable": the orchestrator is SIGKILLed in
// the middle of 20 concurrent 8 MiB PUTs and started again on the same database. Every PUT
// that was acknowledged must read back byte for byte; every intent left behind must be
// resolved by the reaper, every owed deletion done, and `admin verify` must find the
// backends holding exactly the ledger's bytes (nothing leaked, nothing missing).
// Two more PUTs stall mid-body for longer than twice min_age before the others start: a
// request still receiving its body must keep its intent (the reaper once took such intents as
// "nothing written", and bytes the request wrote afterwards had no record when it died), and
// right after the crash every storage key on a backend is accounted for by the ledger.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { adminVerify } from './crash-support/admin-verify.js';
import { contentSha256, contentStream, stalledContentStream, streamSha256 } from './crash-support/content.js';
import { BACKEND_BUCKET, BUCKET, MIN_AGE_MS, REAPER_TICK_MS, s3Client, writeCrashConfig } from './crash-support/crash-config.js';
import { backendKeys } from './crash-support/backend-keys.js';
import { readKeyRecords, readLedger, readStorageKeys } from './crash-support/ledger.js';
import { killServe, startServe, type ServeProcess } from './crash-support/orchestrator-process.js';
import { waitUntil } from './crash-support/wait-until.js';

const OBJECTS = 20;
const SIZE = 8 * 1024 * 1024;
const KILL_AFTER_ACKS = 5;
const STALLED = 2;

describe('SIGKILL during concurrent PUTs', () => {
  let dir: string;
  const s3rvers: S3rverProcess[] = [];
  const serves: ServeProcess[] = [];
  const clients: S3Client[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-crash-kill-'));
  });
  after(async () => {
    for (const client of clients) client.destroy();
    for (const serve of serves) await killServe(serve);
    for (const s3rver of s3rvers) await s3rver.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('acknowledged writes survive, the rest is reaped, verify is clean', { timeout: 300_000 }, async (t) => {
    for (let i = 1; i <= 3; i++) {
      s3rvers.push(await startS3rver({ dir: join(dir, `s3rver-${i}`), buckets: [BACKEND_BUCKET], port: 0 }));
    }
    const { configPath, dbPath } = await writeCrashConfig(dir, s3rvers.map((s, i) => ({ name: `b${i + 1}`, endpoint: s.endpoint })));
    const first = await startServe(configPath);
    serves.push(first);
    const client = s3Client(first.url);
    clients.push(client);

    const keys = Array.from({ length: OBJECTS }, (_, i) => `big/object-${String(i).padStart(2, '0')}`);
    const stalledKeys = Array.from({ length: STALLED }, (_, i) => `stalled/object-${i}`);
    const internal = (key: string) => `${BUCKET}/${key}`;
    const acknowledged: string[] = [];
    const failed: Array<{ key: string; error: string }> = [];
    let crashed = false;
    const send = async (key: string, body: Readable) => {
      try {
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: SIZE }));
        acknowledged.push(key);
        if (acknowledged.length >= KILL_AFTER_ACKS && !crashed) {
          crashed = true;
          first.kill('SIGKILL');
        }
      } catch (err) {
        failed.push({ key, error: `${(err as Error).name}: ${(err as Error).message}` });
      }
    };

    // First the stalled PUTs: claimed, half their body sent, then silent for longer than the
    // reaper needs to take an intent whose heartbeat stopped (twice min_age and a tick).
    let resumeStalled!: () => void;
    const stallEnds = new Promise<void>((resolve) => (resumeStalled = resolve));
    const stalledPuts = stalledKeys.map((key) => send(key, stalledContentStream(key, SIZE, SIZE / 2, stallEnds)));
    const claimed = await waitUntil('the stalled PUTs to be claimed', () => readKeyRecords(dbPath, stalledKeys.map(internal)),
      (records) => [...records.values()].every((r) => r.intents.length > 0));
    const claimedAt = Math.max(...[...claimed.values()].map((r) => r.intents[0]!.createdAt));
    await waitUntil('twice min_age to pass since the stalled PUTs were claimed', () => Date.now(),
      (now) => now > claimedAt + 2 * MIN_AGE_MS + REAPER_TICK_MS);
    for (const [key, records] of readKeyRecords(dbPath, stalledKeys.map(internal))) {
      assert.equal(records.intents.length, 1, `${key}: a PUT still receiving its body keeps its intent`);
      assert.ok(records.intents[0]!.heartbeatAt > records.intents[0]!.createdAt, `${key}: its heartbeat went on while the body stalled`);
    }

    // Then the crash, in the middle of the concurrent PUTs (the stalled ones are cut too).
    const puts = keys.map((key) => send(key, contentStream(key, SIZE)));
    await Promise.all(puts);
    if (!crashed) first.kill('SIGKILL');
    resumeStalled(); // their streams end; the requests they fed are gone with the process
    await Promise.all(stalledPuts);
    await first.exited;
    t.diagnostic(`clients saw ${acknowledged.length} × 200 and ${failed.length} errors (${[...new Set(failed.map((f) => f.error))].join(', ')})`);
    assert.ok(crashed, 'the orchestrator was killed while PUTs were running');
    assert.ok(acknowledged.length >= KILL_AFTER_ACKS);
    assert.ok(failed.length > STALLED, 'the crash cut some PUTs off besides the stalled ones (else the test proved little)');

    // Right after the crash, before any recovery: every storage key on a backend belongs to
    // a record of the ledger (an intent or a copy). A key without one is bytes nobody owes.
    const recorded = readStorageKeys(dbPath);
    for (const [i, s3rver] of s3rvers.entries()) {
      for (const { storageKey } of await backendKeys(`b${i + 1}`, s3rver.endpoint)) {
        assert.ok(recorded.has(`b${i + 1}:${storageKey}`), `b${i + 1}:${storageKey} is on the backend with no ledger record after the crash`);
      }
    }
    const live = readKeyRecords(dbPath, acknowledged.map(internal));
    for (const key of acknowledged) assert.ok(live.get(internal(key))!.live, `${key} was acknowledged but is not live`);

    const afterCrash = readLedger(dbPath);
    t.diagnostic(`ledger right after the crash: ${afterCrash.intents} open intents, ${afterCrash.cleanupQueue} owed deletions`);

    const second = await startServe(configPath);
    serves.push(second);
    const reader = s3Client(second.url);
    clients.push(reader);

    for (const key of acknowledged) {
      const got = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const read = await streamSha256(got.Body as AsyncIterable<Uint8Array>);
      assert.equal(read.size, SIZE, `${key} size`);
      assert.equal(read.sha256, contentSha256(key, SIZE), `${key} bytes`);
    }

    const settled = await waitUntil(
      'the reaper and cleanup to resolve every intent and debt',
      () => readLedger(dbPath),
      (l) => l.intents === 0 && l.cleanupQueue === 0,
      { timeoutMs: 45_000 },
    );
    assert.equal(settled.cleanupDlq, 0);
    for (const quota of settled.quotas) {
      assert.equal(quota.orphan_bytes, 0, `${quota.backend_name} orphan bytes`);
      assert.equal(quota.bytes_used, settled.liveBytes.get(quota.backend_name) ?? 0, `${quota.backend_name} bytes_used = live copies`);
    }
    const promoted = [...settled.liveBytes.values()].reduce((a, b) => a + b, 0) / SIZE;
    t.diagnostic(`after recovery: ${promoted} objects live (${acknowledged.length} acknowledged; the rest were promoted by the reaper or owed)`);
    assert.ok(promoted >= acknowledged.length);

    // A PUT cut off by the crash is either gone or, promoted by the reaper, whole: never partial.
    let promotedAndWhole = 0;
    for (const { key } of failed) {
      let got;
      try {
        got = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      } catch (err) {
        assert.equal((err as Error).name, 'NoSuchKey', `${key}: ${(err as Error).message}`);
        continue;
      }
      assert.equal((await streamSha256(got.Body as AsyncIterable<Uint8Array>)).sha256, contentSha256(key, SIZE), `${key} promoted bytes`);
      promotedAndWhole++;
    }
    assert.equal(acknowledged.length + promotedAndWhole, promoted);

    const verify = await adminVerify(configPath, second.url);
    assert.ok(verify.report, `verify printed no report: ${verify.stderr}`);
    for (const b of verify.report.backends) {
      assert.equal(b.leaked.count, 0, `${b.backend} leaked: ${JSON.stringify(b.leaked.keys)}`);
      assert.equal(b.missing.count, 0, `${b.backend} missing: ${JSON.stringify(b.missing.keys)}`);
      assert.equal(b.backend_bytes, b.ledger_bytes + b.orphan_bytes_owed, `${b.backend} backend bytes = ledger + orphans`);
    }
    assert.equal(verify.report.ok, true, verify.stdout);
    assert.equal(verify.code, 0);
    t.diagnostic(`verify: ok, ${verify.report.backends.map((b) => `${b.backend} ${b.backend_objects} objects / ${b.backend_bytes} B`).join('; ')}`);
  });
});
