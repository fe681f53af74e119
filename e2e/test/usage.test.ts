// Usage accounting (docs/architecture.md §2 "usage"). Each backend sits behind a counting proxy: an
// observer independent of the orchestrator that sees every request, request-body byte and
// response-body byte that really reaches the s3rver. After a mixed workload (puts, gets,
// ranged gets, copy, overwrite, deletes, multipart with abort — with the cleanup service's
// deletions in the background) the folded backend_usage totals equal the proxies' counts
// exactly, per backend. Runs in both modes (test/distributed/usage.test.ts): there every
// process — both gateways, cleanup, placement — meters its own calls.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand,
  DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { renderMetrics } from '@s3o/telemetry';
import type { Ledger } from '@s3o/store';
import {
  adminUsage, getBytes, KiB, MiB, openSystemLedger, patternBytes, put, startMeteredSystem, testNothingEscaped, waitUntil,
  type MeteredSystem, type ProxyCounts,
} from '../src/index.js';

const period = () => {
  const d = new Date();
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

type Totals = Record<string, [number, number, number]>;

async function storedTotals(ledger: Ledger): Promise<Totals> {
  const out: Totals = {};
  for (const r of await ledger.listUsage(period())) out[r.backendName] = [r.apiRequests, r.egressBytes, r.ingressBytes];
  return out;
}

function proxyTotals(m: MeteredSystem): Totals {
  const out: Totals = {};
  m.proxies.forEach((p, i) => {
    const c: ProxyCounts = p.counts();
    if (c.requests > 0) out[`b${i + 1}`] = [c.requests, c.egress, c.ingress];
  });
  return out;
}

describe('usage accounting: counts are exact', () => {
  let m: MeteredSystem;
  let s3: S3Client;
  let ledger: Ledger;
  let bucket: string;

  before(async () => {
    m = await startMeteredSystem({
      backends: [{}, {}],
      overrides: { usage_flush: { interval: '100ms' }, routing_strategy: 'spread' },
    });
    s3 = m.sys.client(undefined, { maxAttempts: 1 });
    ledger = await openSystemLedger(m.sys);
    bucket = m.sys.bucket.name;
  });
  after(async () => {
    await ledger?.close();
    await m?.stop();
  });

  test('after a mixed workload the folded totals equal what reached each backend', async () => {
    const sizes = [0, 1, 777, 64 * KiB, 1536 * KiB, 3 * KiB];
    for (const [i, size] of sizes.entries()) await put(s3, { Bucket: bucket, Key: `mix/${i}`, Body: patternBytes(size, `mix${i}`) });
    for (const i of [1, 3, 4]) assert.equal((await getBytes(s3, { Bucket: bucket, Key: `mix/${i}` })).body.length, sizes[i]);
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: 'mix/4', Range: 'bytes=1000-200999' })).body.length, 200_000);
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'mix/2' }));
    await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'mix/' }));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'mix/copy', CopySource: `${bucket}/mix/3` }));
    await put(s3, { Bucket: bucket, Key: 'mix/2', Body: patternBytes(5000, 'overwrite') });
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'mix/0' }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'mix/5' }));
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mix/mp' }));
    const parts = [];
    for (const [n, size] of [[1, 5 * MiB], [2, 10 * KiB]] as const) {
      const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mix/mp', UploadId: upload.UploadId, PartNumber: n, Body: patternBytes(size, `p${n}`) }));
      parts.push({ PartNumber: n, ETag: part.ETag });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mix/mp', UploadId: upload.UploadId, MultipartUpload: { Parts: parts } }));
    const aborted = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mix/aborted' }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mix/aborted', UploadId: aborted.UploadId, PartNumber: 1, Body: patternBytes(2 * KiB, 'ab') }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'mix/aborted', UploadId: aborted.UploadId }));
    assert.equal((await getBytes(s3, { Bucket: bucket, Key: 'mix/mp' })).body.length, 5 * MiB + 10 * KiB);

    // The cleanup service deletes displaced and deleted bytes and aborts the upload in the
    // background: those calls are metered too. Wait for them, then for the folds.
    await waitUntil('the cleanup queue to empty', () => ledger.cleanupDepth(), (n) => n === 0, { timeoutMs: 20_000 });
    const settled = await waitUntil(
      'the folded totals to equal the proxies’ counts',
      async () => ({ stored: await storedTotals(ledger), seen: proxyTotals(m), busy: m.proxies.some((p) => p.busy) }),
      (v) => !v.busy && JSON.stringify(v.stored) === JSON.stringify(v.seen),
      { timeoutMs: 15_000 },
    );
    const seen = settled.seen;
    // Sanity of the observer itself: every byte of the workload's bodies went in.
    const written = sizes.reduce((a, b) => a + b, 0) + 5000 + 5 * MiB + 10 * KiB + 2 * KiB;
    const ingress = Object.values(seen).reduce((n, [, , i]) => n + i, 0);
    assert.ok(ingress >= written, `backends received ${ingress} bytes, the workload sent ${written}`);
    const egress = Object.values(seen).reduce((n, [, e]) => n + e, 0);
    assert.ok(egress >= sizes[1]! + sizes[3]! + sizes[4]! + 200_000 + 5 * MiB + 10 * KiB, `egress ${egress}`);

    // The admin API shows the same totals, with no limits configured.
    const rows = await adminUsage(m.sys.url);
    for (const [backend, [requests, egressBytes, ingressBytes]] of Object.entries(seen)) {
      const row = rows.find((r) => r.backend === backend)!;
      assert.deepEqual([row.api_requests, row.egress_bytes, row.ingress_bytes], [requests, egressBytes, ingressBytes], backend);
      assert.deepEqual(row.effective, { api_requests: requests, egress_bytes: egressBytes, ingress_bytes: ingressBytes }, 'nothing unfolded left');
      assert.deepEqual(row.limits, { api_requests: 0, egress_bytes: 0, ingress_bytes: 0 });
      assert.deepEqual(row.remaining, { api_requests: null, egress_bytes: null, ingress_bytes: null });
    }
    // …and so do the metrics (single mode: the orchestrator runs in this process).
    if (m.sys.mode === 'single') {
      const metrics = (await renderMetrics()).body;
      for (const [backend, [requests]] of Object.entries(seen)) {
        assert.match(metrics, new RegExp(`^s3o_usage_api_requests\\{backend="${backend}"\\} ${requests}$`, 'm'));
      }
    }
  });

  test('the admin API refuses a malformed period', async () => {
    await assert.rejects(adminUsage(m.sys.url, '2026-13'), /400/);
  });

  testNothingEscaped(() => m.sys);
});

