// `s3-orchestrator admin verify` as an operator runs it: the real command in a child
// process, against an orchestrator serving a config file, over real s3rver backends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createBackendClients, type BackendClient } from '@s3o/backends';
import { loadConfig } from '@s3o/config';
import { portOutsideEphemeralRange, startS3rver, type S3rverProcess } from '@s3o/demo-backends';
import { silentLogger } from '@s3o/telemetry';
import { serve, type RunningOrchestrator } from '../src/index.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs the command as the installed binary would, from TypeScript sources. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('s3-orchestrator admin verify', () => {
  let dir: string;
  let s3rver: S3rverProcess;
  let orchestrator: RunningOrchestrator;
  let backend: BackendClient;
  let configPath: string;
  let port: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-cli-'));
    s3rver = await startS3rver({ dir: join(dir, 's3rver'), buckets: ['store'] });
    configPath = join(dir, 'config.yaml');
    const configFile = (listenPort: number) => JSON.stringify({
      server: { listen_addr: `127.0.0.1:${listenPort}` },
      auth: { root: { access_key_id: 'ROOT', secret_access_key: 'root-secret' } },
      buckets: [{ name: 'photos', credentials: [{ access_key_id: 'AK', secret_access_key: 'SK' }] }],
      database: { driver: 'sqlite', path: join(dir, 'ledger.db') },
      backends: [{ name: 'b1', endpoint: s3rver.endpoint, bucket: 'store', access_key_id: 'S3RVER', secret_access_key: 'S3RVER' }],
      logging: { level: 'warn' },
    });
    // The orchestrator binds a port of the kernel's choosing; the file the command reads
    // then names that port, as an operator's file names the port the server listens on.
    await writeFile(configPath, configFile(0));
    const { config } = await loadConfig(configPath);
    orchestrator = await serve(config, silentLogger());
    port = Number(new URL(orchestrator.url).port);
    await writeFile(configPath, configFile(port));
    backend = createBackendClients(config.backends).get('b1')!;
  });
  after(async () => {
    backend?.close();
    await orchestrator?.stop();
    await s3rver?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('exit 0 with a summary when nothing is leaked or missing; 1 naming the leaked key when something is', async () => {
    const clean = await cli(['admin', 'verify', '--config', configPath]);
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /^verify: OK/);
    assert.match(clean.stdout, /backend b1: ok/);

    const leaked = 'photos/x!01JZZZZZZZZZZZZZZZZZZZZZZZ';
    await backend.putObject(leaked, Readable.from([Buffer.from('stray')]), { contentLength: 5 });
    try {
      const found = await cli(['admin', 'verify', '--config', configPath]);
      assert.equal(found.code, 1, found.stderr);
      assert.match(found.stdout, /^verify: PROBLEMS FOUND/);
      assert.match(found.stdout, /backend b1: 1 leaked, 0 missing/);
      assert.ok(found.stdout.includes(leaked), found.stdout);

      const json = await cli(['admin', 'verify', '--config', configPath, '--url', `http://127.0.0.1:${port}`, '--json']);
      assert.equal(json.code, 1);
      const report = JSON.parse(json.stdout) as { ok: boolean; backends: Array<{ leaked: { keys: Array<{ storage_key: string }> } }> };
      assert.equal(report.ok, false);
      assert.deepEqual(report.backends[0]!.leaked.keys.map((k) => k.storage_key), [leaked]);
    } finally {
      await backend.deleteObject(leaked);
    }
    assert.equal((await cli(['admin', 'verify', '--config', configPath])).code, 0);
  });

  test('usage errors exit 2, an unreachable gateway 4, each with a message', async () => {
    const noVerb = await cli(['admin']);
    assert.equal(noVerb.code, 2);
    assert.match(noVerb.stderr, /verify \[--max-keys N\]/);
    const noConfig = await cli(['admin', 'verify']);
    assert.equal(noConfig.code, 2);
    assert.match(noConfig.stderr, /no gateway address: pass --addr HOST:PORT, set S3O_ADMIN_ADDR, or pass --config FILE/);
    const nobody = await cli(['admin', 'verify', '--config', configPath, '--url', `http://127.0.0.1:${await portOutsideEphemeralRange()}`]);
    assert.equal(nobody.code, 4);
    assert.match(nobody.stderr, /ECONNREFUSED/);
  });
});
