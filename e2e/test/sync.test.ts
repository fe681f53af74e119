// `s3-orchestrator sync`: objects that are already on a backend (written there directly,
// not through the gateway) are imported into a virtual bucket — readable and listable
// through the gateway with their sizes, ETags and metadata — while keys the ledger already
// accounts for and leftovers of our own `…!<id>` form are skipped. --dry-run changes
// nothing; a second run imports nothing new. The CLI runs as its own process against the
// system's configuration file, as an operator would run it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  getBytes, listBackend, md5Hex, patternBytes, put, quotedEtag, startSystem, testNothingEscaped, waitUntil, type E2ESystem,
} from '../src/index.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../services/cli/src/main.ts', import.meta.url));

const PREFIXED = 900; // written as `e2e-main/legacy/NNNN`: imported as `legacy/NNNN`
const PLAIN = 100; // written as `plain/NNNN`: imported under the key as it is
const TOTAL = PREFIXED + PLAIN;
const UPLOAD_CONCURRENCY = 16;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

function legacyObjects(): Array<{ backendKey: string; key: string; body: Buffer }> {
  const out = [];
  for (let i = 0; i < TOTAL; i++) {
    const n = String(i).padStart(4, '0');
    const [backendKey, key] = i < PREFIXED ? [`e2e-main/legacy/${n}`, `legacy/${n}`] : [`plain/${n}`, `plain/${n}`];
    out.push({ backendKey, key, body: patternBytes(100 + (i % 50) * 37, key) });
  }
  return out;
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function listWithSizes(client: S3Client, bucket: string): Promise<Map<string, { size: number; etag: string }>> {
  const found = new Map<string, { size: number; etag: string }>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const c of page.Contents ?? []) found.set(c.Key!, { size: c.Size!, etag: c.ETag! });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** A key of our own form with a write id no ledger record has: what an interrupted write leaves. */
const LEFTOVER = 'e2e-main/interrupted.txt!01JB0000000000000000000000';

describe('sync: importing objects already on a backend', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  const objects = legacyObjects();
  const syncArgs = () => ['sync', '--config', sys.configPath, '--backend', 'b1', '--bucket', 'e2e-main'];

  before(async () => {
    sys = await startSystem();
    s3 = sys.client('e2e-main');
    const raw = sys.backends[0]!;
    await inBatches(objects, UPLOAD_CONCURRENCY, async (o) => {
      await raw.rawClient.send(new PutObjectCommand({
        Bucket: raw.bucket, Key: o.backendKey, Body: o.body, ContentType: 'text/x-legacy', Metadata: { origin: 'before-s3o' },
      }));
    });
    await raw.rawClient.send(new PutObjectCommand({ Bucket: raw.bucket, Key: LEFTOVER, Body: 'half a write' }));
    // Written through the gateway: the ledger knows its storage key.
    await put(s3, { Bucket: 'e2e-main', Key: 'known.txt', Body: 'known' });
  });
  after(() => sys?.stop());

  test('--dry-run says what it would import and changes nothing', async () => {
    const result = await runCli([...syncArgs(), '--dry-run']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`would import ${TOTAL} \\(`), result.stdout);
    assert.match(result.stdout, /1 known, 1 ours/, result.stdout);
    assert.deepEqual([...(await listWithSizes(s3, 'e2e-main')).keys()], ['known.txt']);
    const prefixed = await runCli([...syncArgs(), '--prefix', 'plain/', '--dry-run']);
    assert.equal(prefixed.code, 0, prefixed.stderr);
    assert.match(prefixed.stdout, new RegExp(`would import ${PLAIN} \\(.*; ${PLAIN} listed`), prefixed.stdout);
  });

  test(`imports ${TOTAL} objects: listed, readable, with their sizes, ETags and metadata`, async (t) => {
    const started = Date.now();
    const result = await runCli(syncArgs());
    const seconds = (Date.now() - started) / 1000;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`imported ${TOTAL} \\(`), result.stdout);
    assert.match(result.stdout, /skipped: 1 known, 1 ours/, result.stdout);
    // Progress was shown while it ran.
    assert.ok(result.stderr.split('\n').filter((l) => l.startsWith('sync: imported')).length >= TOTAL / 250, result.stderr);
    t.diagnostic(`sync imported ${TOTAL} objects in ${seconds.toFixed(2)} s (CLI process included): ${(TOTAL / seconds).toFixed(0)} objects/s; ${result.stdout.trim()}`);

    const listed = await listWithSizes(s3, 'e2e-main');
    assert.equal(listed.size, TOTAL + 1);
    for (const o of objects) {
      assert.deepEqual(listed.get(o.key), { size: o.body.length, etag: quotedEtag(md5Hex(o.body)) }, o.key);
    }
    await inBatches(objects, UPLOAD_CONCURRENCY, async (o) => {
      const { body, output } = await getBytes(s3, { Bucket: 'e2e-main', Key: o.key });
      assert.ok(body.equals(o.body), `${o.key}: bytes differ`);
      assert.equal(output.ETag, quotedEtag(md5Hex(o.body)));
      assert.equal(output.ContentType, 'text/x-legacy');
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'e2e-main', Key: 'legacy/0007' }));
    assert.deepEqual(head.Metadata, { origin: 'before-s3o' });
    // Imported objects keep the key they were found under: nothing was copied or renamed.
    const onB1 = (await listBackend(sys.backends[0]!)).map((c) => c.storageKey);
    assert.equal(onB1.length, TOTAL + 2);
    for (const other of sys.backends.slice(1)) assert.deepEqual(await listBackend(other), []);
  });

  test('a second run imports nothing new', async () => {
    const result = await runCli(syncArgs());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`imported 0 \\(0 bytes\\); skipped: ${TOTAL + 1} known, 1 ours`), result.stdout);
    assert.equal((await listWithSizes(s3, 'e2e-main')).size, TOTAL + 1);
  });

  test('an imported object behaves like any other: its bytes go when it is overwritten or deleted', async () => {
    await put(s3, { Bucket: 'e2e-main', Key: 'plain/0999', Body: 'rewritten' });
    assert.equal((await getBytes(s3, { Bucket: 'e2e-main', Key: 'plain/0999' })).body.toString(), 'rewritten');
    await s3.send(new DeleteObjectCommand({ Bucket: 'e2e-main', Key: 'legacy/0000' }));
    const b1 = sys.backends[0]!;
    await waitUntil('the displaced and deleted imported bytes to be cleaned up', async () => {
      const keys = new Set((await listBackend(b1)).map((c) => c.storageKey));
      return { overwritten: keys.has('plain/0999'), deleted: keys.has('e2e-main/legacy/0000'), other: keys.has('e2e-main/legacy/0001') };
    }, (seen) => !seen.overwritten && !seen.deleted && seen.other, { timeoutMs: 30_000 });
  });

  test('bad arguments are refused with exit 1', async () => {
    const noBucket = await runCli(['sync', '--config', sys.configPath, '--backend', 'b1']);
    assert.equal(noBucket.code, 1);
    assert.match(noBucket.stderr, /--bucket BUCKET is required/);
    const unknown = await runCli([...syncArgs().slice(0, 4), 'nowhere', '--bucket', 'e2e-main']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no backend is named "nowhere"/);
  });

  testNothingEscaped(() => sys);
});
