// The scale benchmark's bulk path on both engines (what it writes must read back through the
// ledger's own API exactly as PUTs of the template would), and `--scale` end to end at its
// smallest size on SQLite (completion and shape of the results, never a timing).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { openLedger, type Ledger, type OpenLedgerOptions } from '@s3o/store';
import { benchMain, bulkSeed, checkListTarget, openRawPostgres, openRawSqlite, scaleKey, seedTemplate, type RawLedger } from '../src/index.js';

const ADMIN_URL = process.env.S3O_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET = { bucket: 'scale', backendName: 'b1', objectBytes: 4096 };
const COUNT = 2_500;

async function checkSeeded(ledger: Ledger, raw: RawLedger): Promise<void> {
  await ledger.syncBackends([{ name: 'b1', quotaBytes: 0 }]);
  await seedTemplate(ledger, TARGET);
  await bulkSeed(raw, TARGET, 1, COUNT);
  const template = (await ledger.getObject(`scale/${scaleKey(0)}`))!;
  for (const i of [1, 1234, COUNT - 1]) {
    const got = await ledger.getObject(`scale/${scaleKey(i)}`);
    assert.ok(got, `object ${i} is in the ledger`);
    assert.equal(got.object.size, template.object.size);
    assert.equal(got.object.etag, template.object.etag);
    assert.notEqual(got.object.writeId, template.object.writeId);
    assert.equal(got.locations.length, 1);
    assert.equal(got.locations[0]!.storageKey, `scale/${scaleKey(i)}!${got.object.writeId}`);
  }
  assert.equal(await ledger.getObject(`scale/${scaleKey(COUNT)}`), null, 'no object past the last');
  const listed = await ledger.listRange({ from: 'scale/', to: 'scale0', limit: COUNT + 10 });
  assert.equal(listed.length, COUNT);
  const quota = (await ledger.getQuotas()).find((q) => q.backendName === 'b1')!;
  assert.equal(Number(quota.bytesUsed), COUNT * TARGET.objectBytes, 'the clones are charged to the backend');
  assert.ok((await raw.bytes()) > COUNT * 100, 'the ledger grew');
}

test('bulk seeding on SQLite reads back through the ledger as N PUTs of the template', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-scale-test-'));
  const path = join(dir, 'ledger.db');
  const ledger = await openLedger({ driver: 'sqlite', path, source: 'scale-test' });
  const raw = openRawSqlite(path);
  try {
    await checkSeeded(ledger, raw);
  } finally {
    await raw.close();
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('bulk seeding on Postgres reads back through the ledger as N PUTs of the template', async () => {
  const name = `s3o_scale_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  url.searchParams.set('sslmode', 'disable');
  const options: OpenLedgerOptions = { driver: 'postgres', url: url.toString(), source: 'scale-test' };
  const ledger = await openLedger(options);
  const raw = await openRawPostgres(url.toString());
  try {
    await checkSeeded(ledger, raw);
  } finally {
    await raw.close();
    await ledger.close();
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  }
});

test('--scale runs end to end and writes its table and chart', { timeout: 300_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 's3o-scale-run-'));
  try {
    let printed = '';
    const result = await benchMain(['--scale', '1000', '--scale-engines', 'sqlite', '--scale-seconds', '0.2', '--out', out], (t) => (printed += t));
    assert.equal(result.exitCode, 0, printed);
    const report = result.scaleReport!;
    assert.deepEqual(report.points.map((p) => [p.engine, p.objects]), [['sqlite', 1000]]);
    const point = report.points[0]!;
    for (const op of ['put', 'head', 'get', 'list'] as const) {
      assert.ok(point.ops[op].ops >= 20, `${op}: at least the minimum number of operations`);
      assert.equal(point.ops[op].errors, 0, `${op}: ${point.ops[op].firstError}`);
    }
    assert.ok(point.ops.list.timeToLastByte, 'LIST has time to last byte');
    assert.ok(point.bytesPerObject > 0);
    assert.deepEqual(checkListTarget(report), [{ engine: 'sqlite', p99Ms: null, met: null }], 'no 100k run, no verdict');
    const md = await readFile(result.scaleFiles!.markdown, 'utf8');
    assert.match(md, /\| 1,000 \|/);
    assert.match(await readFile(result.scaleFiles!.svg, 'utf8'), /<polyline/);
    if (result.scaleFiles!.png) assert.deepEqual([...(await readFile(result.scaleFiles!.png)).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
