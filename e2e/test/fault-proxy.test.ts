// The chaos suite's fault proxy (src/chaos/fault-proxy.ts) must itself be faithful: it may
// delay, throttle, cut or refuse, but the bytes it does deliver arrive whole and in order,
// as TCP delivers them. (A first version released delayed chunks from one timer each; timers
// of different delays fire out of order, and a chaos run read objects of the right size
// with the wrong bytes.) Each test sends a stream through the proxy to an echo server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, connect, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FaultProxy, type NetworkFault } from '../src/chaos/fault-proxy.js';
import { Prng } from '../src/chaos/prng.js';
import { patternBytes, waitUntil } from '../src/index.js';

const SIZE = 3 * 1024 * 1024;

describe('fault proxy', () => {
  let echo: Server;
  let proxy: FaultProxy;

  before(async () => {
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    proxy = await FaultProxy.start(`http://127.0.0.1:${(echo.address() as AddressInfo).port}`, new Prng(7));
  });
  after(async () => {
    await proxy?.stop();
    await new Promise((resolve) => echo?.close(resolve));
  });

  /** Sends SIZE bytes in small writes through the proxy and returns what came back. */
  async function roundTrip(): Promise<Buffer> {
    const { port } = new URL(proxy.url);
    const socket = connect(Number(port), '127.0.0.1');
    const sent = patternBytes(SIZE, 'proxy-order');
    const got: Buffer[] = [];
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (c: Buffer) => {
        got.push(c);
        received += c.length;
        if (received >= SIZE) resolve();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
    });
    for (let at = 0; at < SIZE; at += 16 * 1024) socket.write(sent.subarray(at, at + 16 * 1024));
    await done;
    socket.destroy();
    return Buffer.concat(got);
  }

  const faithful: Array<[string, NetworkFault]> = [
    ['latency with jitter', { latencyMs: 5, jitterMs: 40 }],
    ['loss (held-back chunks)', { loss: 0.2 }],
    ['a bandwidth cap', { bandwidth: 8 * 1024 * 1024 }],
    ['all three at once', { latencyMs: 2, jitterMs: 20, loss: 0.1, bandwidth: 16 * 1024 * 1024 }],
  ];
  for (const [name, fault] of faithful) {
    test(`under ${name} every byte arrives, in order`, async () => {
      proxy.set(fault);
      const back = await roundTrip();
      proxy.set({});
      const want = createHash('md5').update(patternBytes(SIZE, 'proxy-order')).digest('hex');
      assert.equal(back.length, SIZE);
      assert.equal(createHash('md5').update(back).digest('hex'), want);
    });
  }

  test('a partition delivers nothing until it heals, then cuts the connections it held', async () => {
    proxy.set({ partition: true });
    const accepted = proxy.stats.connections;
    const { port } = new URL(proxy.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = 0;
    socket.on('data', (c: Buffer) => (received += c.length));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write('hello');
    await waitUntil('the proxy to hold the connection', async () => proxy.stats.connections, (n) => n > accepted, { intervalMs: 10 });
    proxy.set({});
    await closed;
    assert.equal(received, 0);
  });
});
