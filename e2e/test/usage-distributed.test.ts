// Usage limits across processes (distributed mode only): two gateways write to one backend
// with a monthly request limit. Each gateway counts its own calls at once and learns the
// other's through the usage service — deltas flushed every interval, folded into
// backend_usage, totals published to the NATS KV bucket both gateways watch. So together
// they can pass the limit only by what the other gateway sent in the time its deltas took
// to arrive, plus the requests in flight that had passed the check before the limit was
// reached.
//
// How long deltas take to arrive is measured, not assumed: while the writers run, the test
// samples each gateway's published total (s3o_usage_api_requests on its /metrics) and
// compares it with the backend's own count (a proxy in front of it, which timestamps every
// request). A gateway's view is as old as the first request it does not include yet; the
// propagation is the oldest view seen plus the time between two samples (a view ages
// between them). The bound this test checks:
//   overshoot <= the most requests that reached the backend within any window of that
//                propagation + in-flight (the concurrent writers, 2 × 4).
// The measured overshoot, propagation and bound are printed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  adminUsage, gatewayClient, metricValue, parsePrometheusText, patternBytes, put, startMeteredSystem, testNothingEscaped, waitUntil,
  type MeteredSystem,
} from '../src/index.js';

const LIMIT = 120;
const INTERVAL_MS = 200;
const WRITERS_PER_GATEWAY = 4;
/** Pause between two samples of the gateways' views. */
const SAMPLE_EVERY_MS = 25;

/** The backend's request total as `gatewayUrl` last had it published (its own unflushed calls excluded). */
async function publishedRequests(gatewayUrl: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  return metricValue(parsePrometheusText(text), 's3o_usage_api_requests', { backend: 'b1' }) ?? 0;
}

/** The most arrivals within any window of `windowMs` (arrival times in order). */
function busiestWindow(arrivals: readonly number[], windowMs: number): number {
  let most = 0;
  let from = 0;
  for (let to = 0; to < arrivals.length; to++) {
    while (arrivals[to]! - arrivals[from]! > windowMs) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

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
    const proxy = m.proxies[0]!;
    const accepted = [0, 0];
    const unexpected: string[] = [];
    const writer = async (g: number, w: number) => {
      for (let n = 0; ; n++) {
        try {
          await put(clients[g]!, { Bucket: m.sys.bucket.name, Key: `g${g}/w${w}/${n}`, Body: patternBytes(256, `${g}${w}${n}`) });
          accepted[g]! += 1;
        } catch (err) {
          const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
          if (e.name !== 'InsufficientStorage' || e.$metadata?.httpStatusCode !== 507) unexpected.push(`${e.name} ${e.$metadata?.httpStatusCode}`);
          return;
        }
      }
    };

    // How stale each gateway's published view gets while the writers run.
    let writing = true;
    let propagationMs = 0;
    let samples = 0;
    const sampler = async (url: string) => {
      let previous = performance.now();
      while (writing) {
        const seen = await publishedRequests(url);
        const now = performance.now();
        const arrivals = proxy.arrivals();
        // The first request the view does not include arrived at arrivals[seen].
        const age = arrivals.length > seen ? now - arrivals[seen]! : 0;
        propagationMs = Math.max(propagationMs, age + (now - previous));
        previous = now;
        samples++;
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
      }
    };
    const sampling = Promise.all(m.sys.gatewayUrls.map(sampler));
    try {
      await Promise.all([0, 1].flatMap((g) => Array.from({ length: WRITERS_PER_GATEWAY }, (_, w) => writer(g, w))));
    } finally {
      writing = false;
      await sampling;
      clients.forEach((c) => c.destroy());
    }
    assert.deepEqual(unexpected, [], 'every write either succeeded or was refused with 507');
    assert.ok(accepted[0]! > 0 && accepted[1]! > 0, `both gateways wrote: ${accepted}`);

    const sent = proxy.counts().requests;
    const overshoot = sent - LIMIT;
    const inPropagation = busiestWindow(proxy.arrivals(), propagationMs);
    const bound = inPropagation + 2 * WRITERS_PER_GATEWAY;
    t.diagnostic(
      `limit ${LIMIT}; requests that reached the backend ${sent} (gateway 1: ${accepted[0]}, gateway 2: ${accepted[1]} writes); ` +
      `overshoot ${overshoot}; measured propagation ${propagationMs.toFixed(0)} ms over ${samples} samples ` +
      `(flush interval ${INTERVAL_MS} ms), at most ${inPropagation} requests within it; bound ${bound}`,
    );
    assert.ok(sent >= LIMIT, `the limit was reached (${sent} requests)`);
    assert.ok(overshoot <= bound, `overshoot ${overshoot} exceeds the bound ${bound}`);

    // Every gateway soon sees the same figure, and it is the backend's own count.
    const agreed = Date.now();
    await waitUntil(
      'both gateways to show the backend’s request count',
      async () => Promise.all(m.sys.gatewayUrls.map(async (url) => (await adminUsage(url)).find((r) => r.backend === 'b1')!.effective!.api_requests)),
      (seen) => seen.every((n) => n === m.proxies[0]!.counts().requests),
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    t.diagnostic(`both gateways agreed on the total ${Date.now() - agreed} ms after the last write`);
    const stored = (await adminUsage(m.sys.gatewayUrls[0]!)).find((r) => r.backend === 'b1')!;
    assert.equal(stored.remaining.api_requests, 0);
  });

  testNothingEscaped(() => m.sys);
});
