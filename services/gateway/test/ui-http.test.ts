// The dashboard's HTTP answers without a browser, on a gateway app over a SQLite ledger
// (no backend is called): the login form's CSRF, the per-IP throttle (429 after five
// failures, other addresses unaffected), Secure cookies when ui.force_secure_cookies, the
// security headers on every answer, and a custom ui.path.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '@s3o/config';
import { openLedger, type Ledger } from '@s3o/store';
import { silentLogger } from '@s3o/telemetry';
import { createGatewayApp, type Gateway } from '../src/index.js';

const ROOT = { id: 'ROOT-UI', secret: 'root-ui-secret' };

describe('dashboard over HTTP', () => {
  let dir: string;
  let ledger: Ledger;
  let gateway: Gateway;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3o-ui-'));
    const { config } = parseConfig(JSON.stringify({
      server: { listen_addr: '127.0.0.1:0' },
      auth: { root: { access_key_id: ROOT.id, secret_access_key: ROOT.secret } },
      buckets: [{ name: 'photos', credentials: [{ access_key_id: 'AK', secret_access_key: 'SK' }] }],
      database: { driver: 'sqlite', path: join(dir, 'ledger.db') },
      backends: [{ name: 'b1', endpoint: 'http://127.0.0.1:9', bucket: 'x', access_key_id: 'a', secret_access_key: 's' }],
      ui: { enabled: 'true', path: '/console', session_secret: 'ui-http-test-session-secret-0123456789', force_secure_cookies: 'true' },
    }), {});
    ledger = await openLedger({ driver: 'sqlite', path: config.database.path, source: 'ui-test' });
    gateway = createGatewayApp({ config, ledger, backends: new Map(), logger: silentLogger() });
    await gateway.app.ready();
  });
  after(async () => {
    await gateway?.app.close();
    await ledger?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The login form's pre-login cookie and CSRF token. */
  const form = async (ip = '10.1.1.1') => {
    const page = await gateway.app.inject({ method: 'GET', url: '/console/login', remoteAddress: ip });
    assert.equal(page.statusCode, 200);
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    return { cookie, csrf, page };
  };
  const login = async (secret: string, ip = '10.1.1.1', csrfOverride?: string) => {
    const { cookie, csrf } = await form(ip);
    const body = new URLSearchParams({ csrf: csrfOverride ?? csrf, access_key_id: ROOT.id, secret_access_key: secret }).toString();
    return gateway.app.inject({ method: 'POST', url: '/console/login', remoteAddress: ip, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body });
  };

  test('every answer carries the security headers; cookies are Secure when forced', async () => {
    const { page } = await form();
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.match(String(page.headers['set-cookie']), /HttpOnly; SameSite=Strict; Max-Age=3600; Secure$/);
    const ok = await login(ROOT.secret, '10.9.9.9');
    assert.equal(ok.statusCode, 303);
    const session = ([] as string[]).concat(ok.headers['set-cookie'] as string[]).find((c) => c.startsWith('s3o_session='))!;
    assert.match(session, /; Path=\/; HttpOnly; SameSite=Strict; Max-Age=86400; Secure$/);
  });

  test('a login without the form\'s CSRF token is refused', async () => {
    const res = await login(ROOT.secret, '10.2.2.2', 'forged');
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['set-cookie']?.includes('s3o_session=v1'), false);
  });

  test('five failed logins from one address lock it out, even for the right secret; another address is not', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await login('wrong', '10.3.3.3')).statusCode, 401);
    const locked = await login(ROOT.secret, '10.3.3.3');
    assert.equal(locked.statusCode, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.equal((await login(ROOT.secret, '10.4.4.4')).statusCode, 303);
  });

  test('the dashboard lives at ui.path only', async () => {
    assert.equal((await gateway.app.inject({ method: 'GET', url: '/console/' })).headers.location, '/console/login');
    assert.notEqual((await gateway.app.inject({ method: 'GET', url: '/ui/login' })).statusCode, 200);
  });
});
