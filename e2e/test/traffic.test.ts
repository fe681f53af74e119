// Per-client rate limiting and admission control under a burst of 200 concurrent clients
// (raw HTTP, no SDK retries): refused requests get 503 SlowDown — what AWS answers and
// every SDK backs off on — with Retry-After and the usual XML error body carrying the
// request id, at once and without the body being read; operator routes stay reachable.
// The orchestrator runs in this process (single mode), so the RSS reported is the server's
// (with the test's 200 clients).
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { after, afterEach, before, describe, test } from 'node:test';
import { renderMetrics } from '@s3o/telemetry';
import { parseErrorXml, signRequest, startSystem, testNothingEscaped, type E2ESystem } from '../src/index.js';

const CLIENTS = 200;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends a request; its body is `body`, or left open for the caller when `body` is 'open'. */
function send(url: string, init: { method: string; headers: Record<string, string> }, body: Buffer | 'open' = Buffer.alloc(0)): { req: ClientRequest; answer: Promise<Answer> } {
  const req = httpRequest(url, { method: init.method, headers: init.headers, agent: false });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  if (body !== 'open') req.end(body);
  return { req, answer };
}

/** An S3 SlowDown refusal as clients must see it. */
function assertSlowDown(a: Answer): void {
  assert.equal(a.status, 503);
  const retryAfter = Number(a.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${a.headers['retry-after']}`);
  const err = parseErrorXml(a.body);
  assert.equal(err.code, 'SlowDown');
  assert.equal(err.requestId, a.headers['x-amz-request-id']);
  assert.ok(err.requestId && err.requestId.length > 0);
}

const rssMiB = () => Math.round(process.memoryUsage().rss / 2 ** 20);

describe('rate limiting: 200 concurrent requests from one client', () => {
  let sys: E2ESystem;

  before(async () => {
    sys = await startSystem({
      backends: [{}],
      overrides: { rate_limit: { enabled: true, requests_per_sec: '0.01', burst: 50, trusted_proxies: ['127.0.0.1/32', '::1'] } },
    });
  });
  after(() => sys?.stop());

  const get = (forwardedFor: string, path = `/${'e2e-main'}/some-key`) =>
    send(`${sys.url}${path}`, { method: 'GET', headers: { 'x-forwarded-for': forwardedFor } }).answer;

  test('the burst passes, the rest is 503 SlowDown with Retry-After; other clients are unaffected', async (t) => {
    const rssBefore = rssMiB();
    // Behind our trusted proxy (127.0.0.1) the client is the rightmost untrusted address.
    const answers = await Promise.all(Array.from({ length: CLIENTS }, () => get('203.0.113.7')));
    const rssAfter = rssMiB();
    const refused = answers.filter((a) => a.status === 503);
    const passed = answers.filter((a) => a.status !== 503);
    assert.equal(passed.length, 50, 'exactly the burst passed');
    // Passed requests were answered by the S3 API (unsigned: AccessDenied), not the limiter.
    assert.ok(passed.every((a) => a.status === 403 && parseErrorXml(a.body).code === 'AccessDenied'));
    assert.equal(refused.length, CLIENTS - 50);
    refused.forEach(assertSlowDown);
    t.diagnostic(`rate limit burst: ${passed.length} passed, ${refused.length} SlowDown; RSS ${rssBefore} MiB before, ${rssAfter} MiB after`);

    assert.notEqual((await get('203.0.113.8')).status, 503, 'another client has its own bucket');
    // Whatever the client writes left of the last hop is not believed.
    assertSlowDown(await get('198.51.100.1, 203.0.113.7'));
    // Trusted hops are skipped: the client is still 203.0.113.7.
    assertSlowDown(await get('203.0.113.7, 127.0.0.1'));
    // A peer that is not a trusted proxy is the client itself, whatever it forwards.
    const direct = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${sys.url}/e2e-main/some-key`, { method: 'GET', headers: { 'x-forwarded-for': '203.0.113.7' }, localAddress: '127.0.0.2', agent: false });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(direct, 403, 'an untrusted peer is not limited by the address it claims to forward');
  });

  test('operator routes are exempt', async () => {
    const health = await get('203.0.113.7', '/health');
    assert.equal(health.status, 200);
    const metrics = (await renderMetrics()).body;
    const count = Number(/^s3o_rate_limit_rejections_total (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(count >= CLIENTS - 50 + 1, `s3o_rate_limit_rejections_total ${count}`);
  });

  testNothingEscaped(() => sys);
});

/** Requests slowPuts left open; a test that fails before finishing them must not leave the system unable to stop. */
const unfinished = new Set<ClientRequest>();

/** Closes what a failed test left open, so the system's stop does not wait for those bodies forever. */
function abandonUnfinished(): void {
  for (const req of unfinished) req.destroy();
  unfinished.clear();
}

/** 200 signed PUTs that announce 1000 bytes and send 10: admitted ones hold their slot until their body ends. */
async function slowPuts(sys: E2ESystem, prefix: string) {
  const cred = sys.bucket.credentials;
  const started = await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => {
    const signed = await signRequest(sys.url, {
      method: 'PUT', path: `/${sys.bucket.name}/${prefix}/${i}`, headers: { 'content-length': '1000' }, credentials: cred, payloadHash: 'UNSIGNED-PAYLOAD',
    });
    return signed;
  }));
  const requests = started.map((signed) => {
    const r = send(signed.url, { method: signed.method, headers: signed.headers }, 'open');
    unfinished.add(r.req);
    r.req.once('finish', () => unfinished.delete(r.req));
    r.req.write(Buffer.alloc(10, 1));
    let settled: Answer | null = null;
    void r.answer.then((a) => (settled = a), () => undefined);
    return { ...r, settled: () => settled };
  });
  return requests;
}

/** Waits (at most 120 s: 200 signatures and connections on a loaded machine) until `count` of the requests have their answer. */
async function untilSettled(puts: Array<{ settled(): Answer | null }>, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (puts.filter((p) => p.settled()).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

async function admissionCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await renderMetrics()).body.matchAll(/^s3o_admission_rejections_total\{class="(\w+)",reason="(\w+)"\} (\d+)$/gm)) {
    out[`${m[1]}/${m[2]}`] = Number(m[3]);
  }
  return out;
}

describe('admission control: 200 concurrent writes against a write budget of 10', () => {
  let sys: E2ESystem;

  before(async () => {
    sys = await startSystem({ backends: [{}], overrides: { server: { max_concurrent_writes: 10, admission_wait: '100ms' } } });
  });
  afterEach(abandonUnfinished);
  after(() => sys?.stop());

  test('10 are admitted, 190 answered SlowDown after admission_wait; reads are not held up', async (t) => {
    const before = await admissionCounts();
    const rssBefore = rssMiB();
    const puts = await slowPuts(sys, 'adm');
    // Every refusal comes while the admitted bodies are still incomplete.
    await untilSettled(puts, CLIENTS - 10);
    const rssPeak = rssMiB();
    const refused = puts.filter((p) => p.settled());
    assert.equal(refused.length, CLIENTS - 10);
    refused.forEach((p) => assertSlowDown(p.settled()!));
    // A read has its own budget (unlimited here): it is served while the writes hold theirs.
    const read = await send(`${sys.url}/health/ready`, { method: 'GET', headers: {} }).answer;
    assert.equal(read.status, 200);
    const held = puts.filter((p) => !p.settled());
    assert.equal(held.length, 10);
    for (const p of held) p.req.end(Buffer.alloc(990, 1));
    const answers = await Promise.all(held.map((p) => p.answer));
    assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200), 'the admitted writes complete');
    const afterCounts = await admissionCounts();
    assert.equal((afterCounts['write/full'] ?? 0) - (before['write/full'] ?? 0), CLIENTS - 10);
    t.diagnostic(`admission burst: 10 admitted, ${refused.length} SlowDown; RSS ${rssBefore} MiB before, ${rssPeak} MiB at the peak`);

    // The slots came back: a write is admitted at once.
    const again = await slowPuts(sys, 'adm-again');
    await untilSettled(again, CLIENTS - 10);
    assert.equal(again.filter((p) => p.settled()).length, CLIENTS - 10);
    for (const p of again.filter((q) => !q.settled())) p.req.end(Buffer.alloc(990, 1));
    await Promise.all(again.map((p) => p.answer));
  });

  testNothingEscaped(() => sys);
});

describe('load shedding: above half the budget requests are shed before they wait', () => {
  let sys: E2ESystem;

  before(async () => {
    sys = await startSystem({
      backends: [{}],
      // A wait far longer than the test: a refusal that waited for admission would not come at all.
      overrides: { server: { max_concurrent_requests: 10, load_shed_threshold: 0.5, admission_wait: '10m' } },
    });
  });
  afterEach(abandonUnfinished);
  after(() => sys?.stop());

  test('between 5 and 10 are admitted; the rest are shed at once instead of waiting for admission', async (t) => {
    const before = await admissionCounts();
    const puts = await slowPuts(sys, 'shed');
    await untilSettled(puts, CLIENTS - 10);
    const refused = puts.filter((p) => p.settled());
    const admitted = CLIENTS - refused.length;
    assert.ok(admitted >= 5 && admitted <= 10, `${admitted} admitted`);
    refused.forEach((p) => assertSlowDown(p.settled()!));
    const shed = ((await admissionCounts())['write/shed'] ?? 0) - (before['write/shed'] ?? 0);
    // At the full budget the shedding probability is 1: nobody waits for admission_wait.
    assert.ok(shed >= CLIENTS - 10, `${shed} shed`);
    // Every refusal is a shed one: none waited out admission_wait (10 minutes) and timed out.
    assert.equal(shed, refused.length);
    t.diagnostic(`load shedding: ${admitted} admitted, ${shed} shed`);
    for (const p of puts.filter((q) => !q.settled())) p.req.end(Buffer.alloc(990, 1));
    assert.ok((await Promise.all(puts.map((p) => p.answer))).filter((a) => a.status === 200).length === admitted);
  });

  testNothingEscaped(() => sys);
});
