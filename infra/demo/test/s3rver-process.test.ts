// startS3rver: a real s3rver in a child process (which gets --openssl-legacy-provider; this
// process does not need it).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
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
});
