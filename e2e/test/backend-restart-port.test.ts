// A fault test (and the chaos suite's kill-restart) restarts a SIGKILLed backend on its old
// port, because the gateway's config names it. A chaos run once saw that restart fail for
// 30 s with EADDRINUSE: the port was in the kernel's ephemeral range, where it is, while the
// backend is down, just another free port that an outgoing connection — here the gateway's
// own retries towards it — may be given as its source port. The harness therefore puts its
// backends on ports outside that range (infra/demo/src/ports.ts), which only an explicit bind
// takes. This test holds it to that, and restarts a backend while connections to its port
// keep being attempted.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startS3rver } from '@s3o/demo-backends';
import { BACKEND_BUCKET, startSystem } from '../src/index.js';

test('backends listen outside the ephemeral range and come back on their port after a SIGKILL', { timeout: 180_000 }, async () => {
  const [low, high] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number) as [number, number];
  const sys = await startSystem({ mode: 'single' });
  let restarted: Awaited<ReturnType<typeof startS3rver>> | null = null;
  try {
    for (const b of sys.backends) {
      const port = Number(new URL(b.endpoint).port);
      assert.ok(port < low || port > high, `${b.name} listens on ${port}, inside the ephemeral range ${low}-${high}`);
    }
    const b1 = sys.backends[0]!;
    b1.process.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // While it is down, something keeps trying to reach it (as the gateway does).
    let attempts = 0;
    let knocking = true;
    const knock = (async () => {
      while (knocking) {
        attempts++;
        await new Promise<void>((resolve) => {
          const s = connect(b1.process.port, '127.0.0.1');
          s.once('error', () => resolve());
          s.once('connect', () => {
            s.destroy();
            resolve();
          });
        });
      }
    })();
    try {
      restarted = await startS3rver({ dir: b1.dir!, port: b1.process.port, buckets: [BACKEND_BUCKET] });
    } finally {
      knocking = false;
      await knock;
    }
    assert.equal(restarted.port, b1.process.port);
    assert.ok(attempts > 0);
    const res = await fetch(`${restarted.endpoint}/${BACKEND_BUCKET}`);
    await res.arrayBuffer();
    assert.ok(res.status < 500, `the restarted backend answers (${res.status})`);
  } finally {
    await restarted?.stop();
    await sys.stop();
  }
});
