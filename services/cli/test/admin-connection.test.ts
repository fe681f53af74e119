// Where `s3-orchestrator admin` sends its requests and as whom: flags over the environment
// over the configuration file; the demo configuration works without any environment
// variable (the README's commands against `npm start`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { AdminCommandError, AdminSession, EXIT } from '../src/admin/connection.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../infra/demo/demo-config.yaml', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('S3O_')));

test('the demo configuration names the gateway and the admin credential, with no environment variable set', async () => {
  const session = await AdminSession.open({ config: DEMO }, {});
  assert.equal(session.url, 'http://127.0.0.1:9000');
  const validate = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, 'validate', '--config', DEMO], { cwd: REPO, encoding: 'utf8', env: cleanEnv() });
  assert.equal(validate.status, 0, validate.stderr);
});

test('flags win over the environment, the environment over the file', async () => {
  const env = { S3O_ADMIN_ADDR: 'env-host:1', S3O_ACCESS_KEY_ID: 'env-key', S3O_SECRET_ACCESS_KEY: 'env-secret' };
  assert.equal((await AdminSession.open({ config: DEMO }, env)).url, 'http://env-host:1');
  assert.equal((await AdminSession.open({ config: DEMO, addr: 'flag-host:2' }, env)).url, 'http://flag-host:2');
  assert.equal((await AdminSession.open({ addr: 'https://secure:3' }, env)).url, 'https://secure:3');
});

test('no address or no credential is a usage error (exit 2) that says where they come from', async () => {
  await assert.rejects(AdminSession.open({}, {}), (err: unknown) =>
    err instanceof AdminCommandError && err.exitCode === EXIT.usage && /S3O_ADMIN_ADDR/.test(err.message));
  await assert.rejects(AdminSession.open({ addr: 'h:1' }, {}), (err: unknown) =>
    err instanceof AdminCommandError && err.exitCode === EXIT.usage && /S3O_ACCESS_KEY_ID/.test(err.message));
});
