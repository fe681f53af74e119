// startS3rver: a real s3rver in a child process (which gets --openssl-legacy-provider; this
// process does not need it).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startS3rver } from '../src/index.js';

const execFileAsync = promisify(execFile);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Unsigned requests are accepted by s3rver, which is all these checks need. */
async function listBucket(endpoint: string, bucket: string): Promise<number> {
  const response = await fetch(`${endpoint}/${bucket}?list-type=2`);
  await response.arrayBuffer();
  return response.status;
}

describe('startS3rver', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 's3o-demo-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts on an ephemeral port with the buckets, and stop() ends the process', async () => {
    const s3 = await startS3rver({ dir, buckets: ['alpha', 'beta'] });
    try {
      assert.ok(s3.port > 0);
      assert.equal(s3.endpoint, `http://127.0.0.1:${s3.port}`);
      assert.equal(await listBucket(s3.endpoint, 'alpha'), 200);
      assert.equal(await listBucket(s3.endpoint, 'beta'), 200);
      assert.equal(await listBucket(s3.endpoint, 'gamma'), 404);
    } finally {
      await s3.stop();
    }
    assert.equal(isAlive(s3.pid), false);
    await assert.rejects(listBucket(s3.endpoint, 'alpha'));
  });

  it('pagination works, so the child really has the OpenSSL legacy provider', async () => {
    const s3 = await startS3rver({ dir, buckets: ['paged'] });
    try {
      for (const key of ['a', 'b', 'c']) {
        const put = await fetch(`${s3.endpoint}/paged/${key}`, { method: 'PUT', body: key });
        await put.arrayBuffer();
        assert.equal(put.status, 200);
      }
      const first = await fetch(`${s3.endpoint}/paged?list-type=2&max-keys=1`);
      const token = /<NextContinuationToken>([^<]+)</.exec(await first.text())?.[1];
      assert.ok(token, 'a continuation token');
      const second = await fetch(`${s3.endpoint}/paged?list-type=2&max-keys=1&continuation-token=${encodeURIComponent(token)}`);
      assert.equal(second.status, 200); // 500 InternalError without the legacy provider (DES)
      assert.match(await second.text(), /<Key>b<\/Key>/);
    } finally {
      await s3.stop();
    }
  });

  it('kill() injects faults: SIGKILL makes the backend unreachable, stop() still resolves', async () => {
    const s3 = await startS3rver({ dir, buckets: ['k'] });
    assert.equal(s3.kill('SIGKILL'), true);
    await s3.stop();
    await assert.rejects(listBucket(s3.endpoint, 'k'));
  });

  it('the child exits by itself when the process that started it dies without stopping it', async () => {
    // A parent that starts s3rver, prints the child's pid and exits at once.
    const script = `
      import { startS3rver } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
      const s3 = await startS3rver({ dir: ${JSON.stringify(dir)}, buckets: ['orphan'] });
      console.log(s3.pid);
      process.exit(0);`;
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    const pid = Number(stdout.trim());
    assert.ok(pid > 0);
    // Its stdin closes with the parent; poll until it is gone (bounded, so a leak fails the test).
    const deadline = Date.now() + 15_000;
    while (isAlive(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        assert.fail('s3rver child outlived its parent');
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('a port that is taken makes the start fail with the reason', async () => {
    const first = await startS3rver({ dir, buckets: ['p'] });
    try {
      await assert.rejects(startS3rver({ dir, port: first.port, buckets: ['p'] }), /exited before listening.*EADDRINUSE/s);
    } finally {
      await first.stop();
    }
  });

  it('a PUT or UploadPart cut mid-body leaves no file open in the backend, which keeps working', async () => {
    const s3 = await startS3rver({ dir, buckets: ['cut'] });
    // Descriptors of the child's that point at files of its store.
    const openFiles = async () => {
      const fds = await readdir(`/proc/${s3.pid}/fd`).catch(() => []);
      const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${s3.pid}/fd/${fd}`).catch(() => '')));
      return targets.filter((t) => t.startsWith(dir));
    };
    /** Sends a request head announcing 1 MiB and 64 KiB of it, waits until the file is open, then resets the connection. */
    const cutUpload = async (target: string) => {
      const socket = connect(s3.port, '127.0.0.1');
      await once(socket, 'connect');
      socket.on('error', () => undefined);
      socket.write(`PUT ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${1024 * 1024}\r\ncontent-type: application/octet-stream\r\n\r\n`);
      socket.write(Buffer.alloc(64 * 1024, 0x61));
      for (let i = 0; (await openFiles()).length === 0; i++) {
        assert.ok(i < 500, 'the backend opened no file for the body');
        await sleep(20);
      }
      socket.resetAndDestroy();
    };
    try {
      await cutUpload('/cut/whole');
      const created = await fetch(`${s3.endpoint}/cut/parts?uploads`, { method: 'POST' });
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())?.[1];
      assert.ok(uploadId, 'an upload was created');
      await cutUpload(`/cut/parts?partNumber=1&uploadId=${encodeURIComponent(uploadId)}`);
      // s3rver's own .pipe() left these open for good; they must close.
      for (let i = 0; (await openFiles()).length > 0; i++) {
        assert.ok(i < 500, `files still open after the connections were reset: ${(await openFiles()).join(', ')}`);
        await sleep(20);
      }
      const body = Buffer.alloc(300_000, 0x62);
      const put = await fetch(`${s3.endpoint}/cut/whole`, { method: 'PUT', body });
      await put.arrayBuffer();
      assert.equal(put.status, 200);
      assert.equal(put.headers.get('etag'), `"${createHash('md5').update(body).digest('hex')}"`);
      const get = await fetch(`${s3.endpoint}/cut/whole`);
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), body);
      const part = await fetch(`${s3.endpoint}/cut/parts?partNumber=1&uploadId=${encodeURIComponent(uploadId)}`, { method: 'PUT', body });
      await part.arrayBuffer();
      assert.equal(part.status, 200);
      assert.equal(part.headers.get('etag'), `"${createHash('md5').update(body).digest('hex')}"`);
    } finally {
      await s3.stop();
    }
  });
});
