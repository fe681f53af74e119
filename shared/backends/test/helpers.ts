// Shared test utilities: temporary directories, lazily generated bodies, local HTTP servers.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

export async function makeTempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const CHUNK = 64 * 1024;

/** Deterministic bytes for position `offset`, so a body can be regenerated to compute its digest. */
function patternChunk(offset: number, length: number): Buffer {
  const chunk = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) chunk[i] = ((offset + i) * 31 + ((offset + i) >>> 12)) & 0xff;
  return chunk;
}

export interface GeneratedBody {
  stream: Readable;
  /** Bytes handed out so far (the stream generates on demand, so this shows how far the consumer pulled). */
  produced(): number;
}

/**
 * A body of `size` bytes generated on demand, never held in memory as a whole.
 * `failAt`: the stream errors with `failWith` once that many bytes have been produced.
 * `stallAt`: the stream produces nothing more after that many bytes (until destroyed).
 */
export function generatedBody(
  size: number,
  opts: { failAt?: number; failWith?: Error; stallAt?: number } = {},
): GeneratedBody {
  let offset = 0;
  const stream = new Readable({
    highWaterMark: CHUNK,
    read() {
      if (opts.failAt !== undefined && offset >= opts.failAt) {
        this.destroy(opts.failWith ?? new Error('generated body failure'));
        return;
      }
      if (opts.stallAt !== undefined && offset >= opts.stallAt) return;
      if (offset >= size) {
        this.push(null);
        return;
      }
      const limit = Math.min(size, opts.failAt ?? size, opts.stallAt ?? size);
      const length = Math.min(CHUNK, limit - offset);
      this.push(patternChunk(offset, length));
      offset += length;
    },
  });
  return { stream, produced: () => offset };
}

/** The chunks of a generated body of `size` bytes, e.g. to compute its digest independently. */
export function* patternChunks(size: number): Generator<Buffer> {
  for (let offset = 0; offset < size; offset += CHUNK) yield patternChunk(offset, Math.min(CHUNK, size - offset));
}

/** MD5 (hex) of the generated bodies of these sizes, one after the other. */
export function patternMd5(...sizes: number[]): string {
  const hash = createHash('md5');
  for (const size of sizes) for (const chunk of patternChunks(size)) hash.update(chunk);
  return hash.digest('hex');
}

export async function md5OfStream(stream: Readable): Promise<{ md5: string; size: number }> {
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { md5: hash.digest('hex'), size };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export function md5Base64(data: string | Buffer): string {
  return createHash('md5').update(data).digest('base64');
}

/** A local HTTP server on an ephemeral port; `close()` also drops open connections. */
export async function startHttpServer(
  handler: http.RequestListener,
): Promise<{ server: http.Server; endpoint: string; port: number; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
