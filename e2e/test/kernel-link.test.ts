// The chaos suite's kernel network faults (e2e/src/chaos/kernel-link.ts): a link through a
// network namespace of our own, capped by `tc tbf` and partitioned by `iptables` DROP, torn
// down without a trace. Needs root, `ip`, `tc` and `iptables`: skipped with the reason
// otherwise. The server behind the link is a plain TCP server on 127.0.0.1 that answers each
// line it reads with `size` bytes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { KernelLink, kernelFaultsUnavailable } from '../src/chaos/kernel-link.js';

const run = promisify(execFile);
const unavailable = await kernelFaultsUnavailable();

describe('kernel link: tbf cap and iptables partition in a namespace of our own', { skip: unavailable ?? false }, () => {
  let server: Server;
  let link: KernelLink;
  const sockets = new Set<Socket>();

  before(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.setEncoding('utf8');
      socket.on('data', (line: string) => socket.write(Buffer.alloc(Number(line.trim()), 0x61)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    link = await KernelLink.create(0, (server.address() as AddressInfo).port);
  });
  after(async () => {
    await link?.destroy();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Opens a connection through the link, asks for `size` bytes; resolves with them and the time taken. */
  const ask = (size: number) => {
    const { hostname, port } = new URL(link.url);
    const socket = connect(Number(port), hostname);
    const started = performance.now();
    let received = 0;
    const done = new Promise<{ bytes: number; ms: number }>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= size) {
          socket.destroy();
          resolve({ bytes: received, ms: performance.now() - started });
        }
      });
    });
    socket.write(`${size}\n`);
    return { done, socket, received: () => received };
  };

  test('bytes pass through the namespace both ways', async () => {
    assert.match(link.url, /^http:\/\/169\.254\.\d+\.\d+:\d+$/);
    const { bytes } = await ask(64 * 1024).done;
    assert.equal(bytes, 64 * 1024);
  });

  test('a tbf cap slows a transfer to the rate asked for, and removing it leaves no qdisc', async () => {
    await link.setBandwidth(256 * 1024);
    const shown = (await run('ip', ['netns', 'exec', link.namespace, 'tc', 'qdisc', 'show'])).stdout;
    assert.match(shown, /tbf .*rate 2097Kbit/, shown);
    // 1 MiB at 256 KiB/s cannot take less than ~4 s (less the burst): a lower bound, which load cannot break.
    const { ms } = await ask(1024 * 1024).done;
    assert.ok(ms >= 3000, `1 MiB through a 256 KiB/s cap took ${Math.round(ms)} ms`);
    await link.removeBandwidthCap();
    assert.doesNotMatch((await run('ip', ['netns', 'exec', link.namespace, 'tc', 'qdisc', 'show'])).stdout, /tbf/);
  });

  test('a partition drops everything silently; once healed, the waiting connection gets its answer', async () => {
    await link.partition();
    const request = ask(4096);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(request.received(), 0, 'nothing crossed the partition');
    assert.equal(request.socket.destroyed, false, 'the connection hangs (no reset, no refusal)');
    await link.heal();
    // TCP retransmits the held SYN (1 s, 3 s, 7 s … after the first): the answer arrives without a new connection.
    const { bytes } = await request.done;
    assert.equal(bytes, 4096);
  });

  test('destroy removes the namespace and both ends of the veth pair', async () => {
    const other = await KernelLink.create(1, (server.address() as AddressInfo).port);
    assert.match((await run('ip', ['netns', 'list'])).stdout, new RegExp(other.namespace));
    await other.destroy();
    assert.doesNotMatch((await run('ip', ['netns', 'list'])).stdout, new RegExp(`^${other.namespace}\\b`, 'm'));
    assert.doesNotMatch((await run('ip', ['-o', 'link', 'show'])).stdout, new RegExp(`s3oc${process.pid}[hn]1`));
  });
});

if (unavailable) test(`kernel link tests skipped: ${unavailable}`, { skip: unavailable }, () => undefined);
