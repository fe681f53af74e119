// The usage service folds usage.delta events into backend_usage exactly once: a delta the
// bus delivers again (here: a consumer whose offset went back, as after a crash before the
// offset was saved) is recognised by its processed_events row and adds nothing — and its
// total is published again, so the process that sent it still learns it was folded.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { InProcessBus } from '@s3o/bus';
import { usageDeltaEvent } from '@s3o/events';
import type { PublishedUsage } from '@s3o/backends';
import { openLedger, type Ledger } from '@s3o/store';
import { silentLogger } from '@s3o/telemetry';
import { startUsageService, USAGE_FOLD_CONSUMER } from '../src/index.js';

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function runService(ledger: Ledger, published: PublishedUsage[]) {
  const bus = new InProcessBus({ ledger, logger: silentLogger(), maxDeliver: 3, pollIntervalMs: 50 });
  const service = startUsageService({ bus, ledger, logger: silentLogger(), publishTotal: async (t) => void published.push(t) });
  bus.start();
  return { bus, stop: async () => { await bus.stop(); await service.stop(); } };
}

test('a redelivered usage.delta is not counted twice', async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-usage-fold-'));
  const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: 'usage-test' });
  try {
    const published: PublishedUsage[] = [];
    let running = runService(ledger, published);
    await ledger.appendEvents([
      usageDeltaEvent({ backend: 'b1', period: '2026-11', requests: 4, egress: 4000, ingress: 10, delta_id: 'd1' }),
      usageDeltaEvent({ backend: 'b1', period: '2026-11', requests: 1, egress: 0, ingress: 5, delta_id: 'd2' }),
      usageDeltaEvent({ backend: 'b2', period: '2026-11', requests: 2, egress: 7, ingress: 0, delta_id: 'd3' }),
    ]);
    running.bus.notify();
    await until('three folds', () => published.length === 3);
    const expected = [
      ['b1', 5, 4000, 15],
      ['b2', 2, 7, 0],
    ];
    const rows = async () => (await ledger.listUsage('2026-11')).map((r) => [r.backendName, r.apiRequests, r.egressBytes, r.ingressBytes]);
    assert.deepEqual(await rows(), expected);
    assert.deepEqual(published.map((p) => [p.deltaId, p.requests]), [['d1', 4], ['d2', 5], ['d3', 2]]);

    // The consumer starts over from the first event: every delta is delivered again.
    await running.stop();
    await ledger.setConsumerOffset(USAGE_FOLD_CONSUMER, 0);
    running = runService(ledger, published);
    await until('three redeliveries', () => published.length === 6);
    assert.deepEqual(await rows(), expected, 'nothing was added twice');
    assert.deepEqual(published.slice(3).map((p) => [p.deltaId, p.requests]), [['d1', 5], ['d2', 5], ['d3', 2]],
      'each redelivery publishes the total as it stands, naming its delta');
    await running.stop();
  } finally {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
});
