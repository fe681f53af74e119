// The per-client token buckets and the client address behind trusted proxies. Memory is
// the point of the first test: 100 000 distinct source addresses must not grow the table
// without bound, and idle entries must go.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrBlockList } from '@s3o/config';
import { clientIp } from '../src/traffic/client-ip.js';
import { RateLimiter } from '../src/traffic/rate-limit.js';

function ipOf(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

test('100 000 distinct clients: the table stays at its cap, and idle entries are swept', () => {
  let now = 0;
  const limiter = new RateLimiter({ requestsPerSec: 10, burst: 20, maxIdleMs: 60_000, cleanupIntervalMs: 3_600_000, maxClients: 10_000, clock: () => now });
  try {
    const heapBefore = process.memoryUsage().heapUsed;
    for (let n = 0; n < 100_000; n++) {
      assert.equal(limiter.take(ipOf(n)).allowed, true);
      if (n % 1000 === 0) now += 1;
      assert.ok(limiter.size <= 10_000);
    }
    assert.equal(limiter.size, 10_000);
    const heapGrowthMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(heapGrowthMiB < 32, `heap grew ${heapGrowthMiB.toFixed(1)} MiB`);
    // 2 s later every bucket (20 tokens at 10/s) has refilled: an entry is worth nothing.
    now += 2_000;
    limiter.sweep();
    assert.equal(limiter.size, 0);
  } finally {
    limiter.stop();
  }
});

test('a client gets its burst, then the rate; Retry-After says when the next token comes', () => {
  let now = 0;
  const limiter = new RateLimiter({ requestsPerSec: 0.5, burst: 3, maxIdleMs: 600_000, cleanupIntervalMs: 3_600_000, maxClients: 100, clock: () => now });
  try {
    for (let i = 0; i < 3; i++) assert.equal(limiter.take('a').allowed, true);
    assert.deepEqual(limiter.take('a'), { allowed: false, retryAfterSeconds: 2 });
    assert.equal(limiter.take('b').allowed, true, 'clients have their own buckets');
    now += 1000;
    assert.deepEqual(limiter.take('a'), { allowed: false, retryAfterSeconds: 1 });
    now += 1000;
    assert.equal(limiter.take('a').allowed, true);
    // The sweep drops b, whose bucket has refilled (an entry equal to none), and keeps a,
    // which has not: evicting it would hand it a fresh burst.
    limiter.sweep();
    assert.equal(limiter.size, 1);
    assert.deepEqual(limiter.take('a'), { allowed: false, retryAfterSeconds: 2 });
    now += 700_000;
    limiter.sweep();
    assert.equal(limiter.size, 0);
  } finally {
    limiter.stop();
  }
});

test('X-Forwarded-For is read right to left behind trusted proxies only', () => {
  const trusted = cidrBlockList(['10.0.0.0/8', '::1']);
  assert.equal(clientIp('10.0.0.5', '198.51.100.9, 203.0.113.1, 10.1.1.1', trusted), '203.0.113.1');
  assert.equal(clientIp('::ffff:10.0.0.5', '203.0.113.1', trusted), '203.0.113.1', 'IPv4-mapped peers are matched as IPv4');
  assert.equal(clientIp('::1', ['203.0.113.1', '10.2.2.2'], trusted), '203.0.113.1', 'repeated headers are one list');
  assert.equal(clientIp('192.0.2.1', '203.0.113.1', trusted), '192.0.2.1', 'an untrusted peer is the client');
  assert.equal(clientIp('10.0.0.5', '10.0.0.7, 10.0.0.6', trusted), '10.0.0.7', 'all hops trusted: the leftmost');
  assert.equal(clientIp('10.0.0.5', 'garbage, 10.0.0.6', trusted), 'garbage', 'a malformed hop is the client as far as we know');
  assert.equal(clientIp('10.0.0.5', undefined, trusted), '10.0.0.5');
  assert.equal(clientIp('10.0.0.5', '203.0.113.1', null), '10.0.0.5', 'no trusted proxies: the header is ignored');
});

test('reconfigured (a reload): clients keep their buckets, capped at the new burst and refilled at the new rate', () => {
  let now = 0;
  const settings = { requestsPerSec: 100, burst: 100, maxIdleMs: 600_000, cleanupIntervalMs: 3_600_000, maxClients: 100 };
  const limiter = new RateLimiter({ ...settings, clock: () => now });
  try {
    for (let i = 0; i < 10; i++) assert.equal(limiter.take('a').allowed, true);
    limiter.reconfigure({ ...settings, requestsPerSec: 1, burst: 2 });
    // 90 tokens left under the old burst; the new one caps them at 2.
    assert.equal(limiter.take('a').allowed, true);
    assert.equal(limiter.take('a').allowed, true);
    assert.deepEqual(limiter.take('a'), { allowed: false, retryAfterSeconds: 1 });
    now += 1000;
    assert.equal(limiter.take('a').allowed, true, 'one token a second at the new rate');
    assert.equal(limiter.take('a').allowed, false);
    limiter.reconfigure({ ...settings, cleanupIntervalMs: 1000 });
    now += 1000;
    for (let i = 0; i < 50; i++) assert.equal(limiter.take('a').allowed, true, 'raised again: the new rate refills it');
  } finally {
    limiter.stop();
  }
});
