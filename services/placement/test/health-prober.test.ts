// The placement service's backend health prober: it probes closed backends in the
// background (so a dead backend nobody calls still opens its breaker), and only the holder of
// the leader lock announces breaker changes — two placement processes on one ledger append
// one backend.circuit.opened and one .closed, not two of each.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackendBreakers, BackendClient } from '@s3o/backends';
import { openLedger, type Ledger } from '@s3o/store';
import { silentLogger } from '@s3o/telemetry';
import { HealthProber } from '../src/health/index.js';

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('backend health prober', () => {
  let dir: string;
  let server: http.Server;
  let healthy = true;
  let headBuckets = 0;
  const ledgers: Ledger[] = [];
  const probers: HealthProber[] = [];
  const breakerSets: BackendBreakers[] = [];
  const clients: BackendClient[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-prober-'));
    server = http.createServer((req, res) => {
      if (req.method === 'HEAD' && req.url === '/bkt') headBuckets++;
      res.writeHead(healthy ? 200 : 503, { 'content-length': '0' });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Two placement processes: each its own ledger connection, clients and breakers.
    for (let i = 0; i < 2; i++) {
      const ledger = await openLedger({ driver: 'sqlite', path: join(dir, 'ledger.db'), source: `placement-${i}` });
      const client = new BackendClient({ name: 'b1', endpoint, region: 'us-east-1', bucket: 'bkt', accessKeyId: 'k', secretAccessKey: 's', timeoutMs: 1_000 });
      const backends = new Map([['b1', client]]);
      const breakers = new BackendBreakers(backends, { failureThreshold: 2, openTimeoutMs: 100 });
      const prober = new HealthProber({ ledger, backends, breakers, logger: silentLogger(), intervalMs: 50 });
      ledgers.push(ledger);
      clients.push(client);
      breakerSets.push(breakers);
      probers.push(prober);
    }
  });
  after(async () => {
    for (const p of probers) await p.stop();
    for (const b of breakerSets) b.stop();
    for (const c of clients) c.close();
    for (const l of ledgers) await l.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await rm(dir, { recursive: true, force: true });
  });

  const circuitEvents = async () =>
    (await ledgers[0]!.readEventsAfter(0, 1000)).filter((e) => e.type.startsWith('backend.circuit.')).map((e) => `${e.type}:${e.resource}:${e.source}`);

  test('probes closed backends, opens on failures nobody else saw, and only the leader announces', async () => {
    for (const p of probers) p.start();
    await until('background probes of a closed backend', () => headBuckets >= 4);
    assert.deepEqual(breakerSets.map((b) => b.state('b1')), ['closed', 'closed']);

    healthy = false;
    await until('both breakers to open', () => breakerSets.every((b) => b.state('b1') === 'open'));
    await until('the opened event', async () => (await circuitEvents()).length === 1);

    healthy = true;
    await until('both breakers to close', () => breakerSets.every((b) => b.state('b1') === 'closed'));
    await until('the closed event', async () => (await circuitEvents()).length === 2);
    await sleep(200);
    const events = await circuitEvents();
    assert.equal(events.length, 2, JSON.stringify(events));
    assert.match(events[0]!, /^backend\.circuit\.opened:b1:placement-\d$/);
    assert.match(events[1]!, /^backend\.circuit\.closed:b1:placement-\d$/);
    assert.equal(events[0]!.split(':')[2], events[1]!.split(':')[2], 'announced by two processes');
  });
});
