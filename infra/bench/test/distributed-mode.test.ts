// Distributed mode in the benchmark: the option checks, the client that spreads requests over
// several gateways, and one real run (two gateways and the other services over the
// Postgres and NATS the e2e tests use) that must produce its rows without errors.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { test } from 'node:test';
import { benchMain, createSpreadClient, distributedMode, QUICK_PROFILE, runBench } from '../src/index.js';

async function countingServer(): Promise<{ server: Server; url: string; count: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    n++;
    req.resume();
    res.writeHead(200, { 'content-length': '0', etag: '"e"' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { server, url: `http://127.0.0.1:${address.port}`, count: () => n };
}

test('--gateways needs --mode distributed; an unknown mode or count is refused', async () => {
  for (const [argv, expected] of [
    [['--gateways', '2'], /--gateways needs --mode distributed/],
    [['--mode', 'cluster'], /unknown mode: cluster/],
    [['--mode', 'distributed', '--gateways', '0'], /--gateways: expected a positive integer/],
  ] as const) {
    let printed = '';
    const result = await benchMain([...argv], (t) => (printed += t));
    assert.equal(result.exitCode, 1, argv.join(' '));
    assert.match(printed, expected);
  }
  assert.throws(() => distributedMode(0), RangeError);
});

test('a spread client sends each request to the next gateway in turn', async () => {
  const servers = await Promise.all([countingServer(), countingServer(), countingServer()]);
  const client = createSpreadClient(servers.map((s) => s.url), { accessKeyId: 'a', secretAccessKey: 'b' }, 'when-required');
  try {
    for (let i = 0; i < 9; i++) await client.s3.send(new HeadObjectCommand({ Bucket: 'bk', Key: `k${i}` }));
    assert.deepEqual(servers.map((s) => s.count()), [3, 3, 3]);
  } finally {
    client.close();
    for (const s of servers) s.server.close();
  }
});

test('a distributed run with two gateways measures PUT and GET without errors', { timeout: 1_800_000 }, async (t) => {
  const lines: string[] = [];
  const report = await runBench({
    profile: QUICK_PROFILE,
    mode: distributedMode(2),
    backends: ['sink'],
    scenarioIds: ['put-small-c16', 'get-small-c16'],
    log: (line) => lines.push(line),
  });
  for (const line of lines) t.diagnostic(line);
  assert.equal(report.mode.name, 'distributed-2');
  assert.deepEqual(report.rows.map((r) => r.scenarioId), ['put-small-c16', 'get-small-c16']);
  for (const row of report.rows) {
    assert.ok(row.gateway && row.gateway.ops > 0, `${row.scenarioId}: gateway ops`);
    assert.equal(row.gateway.errors, 0, `${row.scenarioId}: ${row.gateway.firstError}`);
    // The gateway side's CPU includes the other services' and Postgres's: never zero for a PUT.
    assert.ok((row.gateway.cpuSeconds.hop ?? 0) > 0, `${row.scenarioId}: gateway-side CPU`);
  }
});
