// Backend circuit breakers against a local HTTP server whose answers the test controls:
// which outcomes count, which do not, how an open breaker gates the backend, and that only
// the background HeadBucket probe closes it. The probe schedule is asserted through injected
// timers and clock: the delays the breakers chose, each probe fired by the test.
import assert from 'node:assert/strict';
import type http from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManualTimers } from '@s3o/breaker';
import { BackendAvailability, BackendBreakers, BackendClient, type BreakerChange, type BreakerRuntime } from '../src/index.js';
import { readAll, startHttpServer } from './helpers.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const answer = (status: number, body = '') => (_req: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
};

const errorXml = (code: string) => `<?xml version="1.0"?><Error><Code>${code}</Code><Message>m</Message></Error>`;

async function setup(threshold: number, openTimeoutMs = 60_000, timeoutMs = 2_000, runtime: BreakerRuntime = {}) {
  let handler: Handler = answer(200);
  const requests: Array<{ method: string; url: string; at: number }> = [];
  const server = await startHttpServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, at: Date.now() });
    req.resume();
    handler(req, res);
  });
  const client = new BackendClient({
    name: 'b1', endpoint: server.endpoint, region: 'us-east-1', bucket: 'bkt', accessKeyId: 'k', secretAccessKey: 's', timeoutMs,
  });
  const breakers = new BackendBreakers(new Map([['b1', client]]), { failureThreshold: threshold, openTimeoutMs }, runtime);
  const availability = new BackendAvailability();
  availability.addGate(breakers);
  const changes: BreakerChange[] = [];
  breakers.onChange((c) => changes.push(c));
  return {
    client, breakers, availability, changes, requests, server,
    set(h: Handler) {
      handler = h;
    },
    async close() {
      breakers.stop();
      client.close();
      await server.close();
    },
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Runs `n` GETs, swallowing their failures (reading bodies so calls end). */
async function gets(s: Setup, n: number, options: { signal?: AbortSignal } = {}): Promise<void> {
  for (let i = 0; i < n; i++) {
    try {
      const got = await s.client.getObject(`k${i}`, options);
      await readAll(got.body).catch(() => undefined);
    } catch {
      // counted (or not) by the breaker
    }
  }
}

describe('backend circuit breakers', () => {
  const open: Setup[] = [];
  const make = async (...args: Parameters<typeof setup>) => {
    const s = await setup(...args);
    open.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('opens after failure_threshold consecutive 5xx answers and gates the backend', async () => {
    const s = await make(3);
    s.set(answer(500, errorXml('InternalError')));
    await gets(s, 2);
    assert.equal(s.breakers.state('b1'), 'closed');
    assert.equal(s.availability.check('b1', 'write'), null);
    const before = Date.now();
    await gets(s, 1);
    assert.equal(s.breakers.state('b1'), 'open');
    const since = s.breakers.openSince('b1');
    assert.ok(since !== null && since >= before && since <= Date.now());
    const write = s.availability.check('b1', 'write');
    assert.equal(write?.soft, false);
    assert.equal(write?.s3Code, 'ServiceUnavailable');
    assert.equal(s.availability.check('b1', 'read')?.soft, true);
    assert.deepEqual(s.availability.arrange(['b1'], 'write').usable, []);
    assert.deepEqual(s.availability.arrange(['b1'], 'read', 0, true).usable, ['b1']);
    assert.deepEqual(s.changes.map((c) => [c.backend, c.state]), [['b1', 'open']]);
    assert.match(s.changes[0]!.reason, /3 consecutive failures.*500 InternalError/);
  });

  it('401, 403, 429, 503, network errors and timeouts each count', async () => {
    for (const status of [401, 403, 429, 503]) {
      const s = await make(2);
      s.set(answer(status));
      await gets(s, 2);
      assert.equal(s.breakers.state('b1'), 'open', `status ${status}`);
    }
    const refused = await make(2);
    await refused.server.close();
    await gets(refused, 2);
    assert.equal(refused.breakers.state('b1'), 'open', 'connection refused');

    const silent = await make(2, 60_000, 150);
    silent.set(() => undefined); // never answers
    await gets(silent, 2);
    assert.equal(silent.breakers.state('b1'), 'open', 'timeouts');
  });

  it('answers about the request (404, 412, 416, 400, 304) never count, and any answer resets the count', async () => {
    const s = await make(2);
    for (const status of [404, 412, 416, 400, 304]) {
      s.set(answer(status));
      await gets(s, 3);
    }
    assert.equal(s.breakers.state('b1'), 'closed');
    // fail, answer, fail: never two in a row
    for (let i = 0; i < 3; i++) {
      s.set(answer(500));
      await gets(s, 1);
      s.set(answer(404));
      await gets(s, 1);
    }
    assert.equal(s.breakers.state('b1'), 'closed');
    assert.equal(s.changes.length, 0);
  });

  it('our own aborts and bodies cut short do not count (nor reset the count)', async () => {
    const s = await make(2);
    s.set(() => undefined); // hangs until we abort
    for (let i = 0; i < 4; i++) {
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('client went away')), 30);
      await gets(s, 1, { signal: ac.signal });
    }
    assert.equal(s.breakers.state('b1'), 'closed', 'aborts counted');

    const cut: Handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('x'.repeat(10), () => res.socket?.destroy());
    };
    s.set(cut);
    await gets(s, 4);
    assert.equal(s.breakers.state('b1'), 'closed', 'cut-short bodies counted');

    // failure, cut short, failure: the cut-short body did not reset the count
    s.set(answer(500));
    await gets(s, 1);
    s.set(cut);
    await gets(s, 1);
    s.set(answer(500));
    await gets(s, 1);
    assert.equal(s.breakers.state('b1'), 'open');
  });

  it('only the background HeadBucket probe closes it, after open_timeout and with backoff', async () => {
    let now = 1_000_000;
    const timers = new ManualTimers();
    const s = await make(2, 150, 2_000, { clock: () => now, timers });
    // Objects answer; the bucket (what the probe asks) does not.
    s.set((req, res) => answer(req.method === 'HEAD' && req.url === '/bkt' ? 503 : 500)(req, res));
    await gets(s, 2);
    assert.equal(s.breakers.state('b1'), 'open');
    assert.equal(s.breakers.openSince('b1'), 1_000_000);

    // Successful client requests while open do not close it.
    s.set((req, res) => answer(req.method === 'HEAD' && req.url === '/bkt' ? 503 : 200)(req, res));
    await gets(s, 3);
    assert.equal(s.breakers.state('b1'), 'open');

    // Probes come on their own: the first after open_timeout, then at doubling delays up to
    // 8 × open_timeout. Each is fired when due; its failure schedules the next.
    const probes = () => s.requests.filter((r) => r.method === 'HEAD' && r.url === '/bkt').length;
    const delays: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const delay = timers.pending[0]!.delayMs;
      delays.push(delay);
      now += delay;
      timers.fire();
      await until(`probe ${i} to fail and the next to be scheduled`, () => probes() === i && timers.pending.length === 1);
    }
    assert.deepEqual(delays, [150, 300, 600, 1_200, 1_200]);
    assert.equal(s.breakers.nextProbeAt('b1'), now + 1_200);
    assert.equal(s.breakers.state('b1'), 'open');
    assert.equal(s.breakers.openSince('b1'), 1_000_000, 'failed probes do not move the opening time');

    s.set(answer(200));
    now += timers.pending[0]!.delayMs;
    timers.fire();
    await until('the probe to close the breaker', () => s.breakers.state('b1') === 'closed');
    assert.equal(probes(), 6);
    assert.equal(s.breakers.openSince('b1'), null);
    assert.equal(s.availability.check('b1', 'write'), null);
    assert.deepEqual(s.changes.map((c) => c.state), ['open', 'closed']);
    assert.equal(s.changes[1]!.reason, 'HeadBucket probe succeeded');
    assert.equal(timers.pending.length, 0, 'no probe while closed');
  });
});

/** Polls `check` until it holds (a hang guard, not a timing assertion). */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
