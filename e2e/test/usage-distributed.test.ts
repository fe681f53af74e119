// Usage limits across processes (distributed mode only): two gateways write to one backend
// with a monthly request limit. Each gateway counts its own calls at once and learns the
// other's through the usage service — deltas flushed every interval, folded into
// backend_usage, totals published to the NATS KV bucket both gateways watch. So together
// they can pass the limit only by what the other gateway sent in the time its deltas took
// to arrive: one flush interval plus the trip through outbox, bus, fold and KV, plus the
// requests in flight that had passed the check before the limit was reached.
//
// The bound this test checks:  overshoot <= rate × (interval + 500 ms) + in-flight,
// with rate the measured request rate of both gateways together and in-flight the number
// of concurrent writers (2 × 4). The measured overshoot is printed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  adminUsage, gatewayClient, patternBytes, put, startMeteredSystem, testNothingEscaped, waitUntil, type MeteredSystem,
} from '../src/index.js';

const LIMIT = 120;
const INTERVAL_MS = 200;
const PROPAGATION_MS = 500;
const WRITERS_PER_GATEWAY = 4;

describe('usage limits: two gateways, one backend request limit', () => {
  let m: MeteredSystem;

  before(async () => {
    m = await startMeteredSystem({
      mode: 'distributed',
      backends: [{ api_request_limit: LIMIT }],
      overrides: { usage_flush: { interval: `${INTERVAL_MS}ms` } },
    });
  });
  after(() => m?.stop());

  test('together they overshoot the limit by no more than one interval of traffic', async (t) => {
    assert.equal(m.sys.gatewayUrls.length, 2);
    const clients: S3Client[] = m.sys.gatewayUrls.map((url) => gatewayClient(url, m.sys.bucket.credentials, { maxAttempts: 1 }));
    const accepted = [0, 0];
    const unexpected: string[] = [];
    const started = Date.now();
    let lastAccepted = started;
    const writer = async (g: number, w: number) => {
      for (let n = 0; ; n++) {
        try {
          await put(clients[g]!, { Bucket: m.sys.bucket.name, Key: `g${g}/w${w}/${n}`, Body: patternBytes(256, `${g}${w}${n}`) });
          accepted[g]! += 1;
          lastAccepted = Date.now();
        } catch (err) {
          const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
          if (e.name !== 'InsufficientStorage' || e.$metadata?.httpStatusCode !== 507) unexpected.push(`${e.name} ${e.$metadata?.httpStatusCode}`);
          return;
        }
      }
    };
    try {
      await Promise.all([0, 1].flatMap((g) => Array.from({ length: WRITERS_PER_GATEWAY }, (_, w) => writer(g, w))));
    } finally {
      clients.forEach((c) => c.destroy());
    }
    assert.deepEqual(unexpected, [], 'every write either succeeded or was refused with 507');
    assert.ok(accepted[0]! > 0 && accepted[1]! > 0, `both gateways wrote: ${accepted}`);

    const sent = m.proxies[0]!.counts().requests;
    const seconds = Math.max(0.001, (lastAccepted - started) / 1000);
    const rate = sent / seconds;
    const overshoot = sent - LIMIT;
    const bound = Math.ceil(rate * ((INTERVAL_MS + PROPAGATION_MS) / 1000)) + 2 * WRITERS_PER_GATEWAY;
    t.diagnostic(
      `limit ${LIMIT}; requests that reached the backend ${sent} (gateway 1: ${accepted[0]}, gateway 2: ${accepted[1]} writes); ` +
      `overshoot ${overshoot}; rate ${rate.toFixed(0)} req/s over ${seconds.toFixed(2)} s; bound ${bound}`,
    );
    assert.ok(sent >= LIMIT, `the limit was reached (${sent} requests)`);
    assert.ok(overshoot <= bound, `overshoot ${overshoot} exceeds the bound ${bound}`);

    // Every gateway soon sees the same figure, and it is the backend's own count.
    const agreed = Date.now();
    await waitUntil(
      'both gateways to show the backend’s request count',
      async () => Promise.all(m.sys.gatewayUrls.map(async (url) => (await adminUsage(url)).find((r) => r.backend === 'b1')!.effective!.api_requests)),
      (seen) => seen.every((n) => n === m.proxies[0]!.counts().requests),
      { timeoutMs: 5_000, intervalMs: 50 },
    );
    t.diagnostic(`both gateways agreed on the total ${Date.now() - agreed} ms after the last write`);
    const stored = (await adminUsage(m.sys.gatewayUrls[0]!)).find((r) => r.backend === 'b1')!;
    assert.equal(stored.remaining.api_requests, 0);
  });

  testNothingEscaped(() => m.sys);
});
