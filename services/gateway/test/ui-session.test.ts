// Dashboard sessions without a browser: who may log in, what a session cookie proves (and
// stops proving when forged, expired, or when its credential is revoked or rotated), CSRF
// tokens, the per-IP login throttle, and the request series behind the overview's chart.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Credential } from '@s3o/config';
import { IdentityRegistry } from '@s3o/identity';
import { checkCsrf, identityLogin, LoginRegistry, LoginThrottle, parseCookies, SESSION_TTL_MS, SessionSigner } from '../src/ui/session.js';
import { RequestSeries } from '../src/ui/charts.js';
import { escapeHtml, html } from '../src/ui/html.js';
import { adminSessionCheck } from '../src/ui/session-gate.js';
import { operationsPage } from '../src/ui/pages.js';
import { AdminError } from '../src/admin/respond.js';
import type { FastifyRequest } from 'fastify';

const SECRET = 'dashboard-session-secret-0123456789abcdef';

function world(initial: Credential | null = { accessKeyId: 'ROOT', secretAccessKey: 'root-secret' }) {
  // The gateway's identity registry as a reload rebuilds it: auth.root, and a bucket's credential (no admin grant).
  const identity = { registry: registryWith(initial) };
  const registry = new LoginRegistry(identityLogin(identity));
  return { registry, signer: new SessionSigner(SECRET, registry), setRoot: (c: Credential | null) => { identity.registry = registryWith(c); } };
}

function registryWith(root: Credential | null): IdentityRegistry {
  return IdentityRegistry.build({ buckets: [{ name: 'photos', credentials: [{ accessKeyId: 'BUCKETKEY', secretAccessKey: 'bucket-secret' }] }], auth: { root } }, null);
}

describe('dashboard login and sessions', () => {
  test('only a key whose user holds admin-read logs in, with its secret', () => {
    const { registry } = world();
    assert.equal(registry.login('ROOT', 'root-secret')?.accessKeyId, 'ROOT');
    assert.deepEqual([...registry.login('ROOT', 'root-secret')!.grants].sort(), ['admin-read', 'admin-write']);
    assert.equal(registry.login('BUCKETKEY', 'bucket-secret'), null, "a bucket's credential holds no admin grant");
    assert.equal(registry.login('ROOT', 'root-secre'), null);
    assert.equal(registry.login('ROOT', 'root-secret!'), null);
    assert.equal(registry.login('OTHER', 'root-secret'), null);
    assert.equal(world(null).registry.login('ROOT', 'root-secret'), null, 'no auth.root: nobody');
  });

  test('a session cookie is accepted until it expires, and not when forged', () => {
    const { registry, signer } = world();
    const now = Date.now();
    const cookie = signer.issue(registry.login('ROOT', 'root-secret')!, 'root-secret', now);
    const session = signer.verify(cookie, now + 1000);
    assert.equal(session?.principal.accessKeyId, 'ROOT');
    assert.equal(session?.expiresAt, now + SESSION_TTL_MS);
    assert.equal(signer.verify(cookie, now + SESSION_TTL_MS), null, 'expired after 24 h');
    const parts = cookie.split('.');
    const longer = [...parts.slice(0, 2), String(now + 10 * SESSION_TTL_MS), ...parts.slice(3)].join('.');
    assert.equal(signer.verify(longer, now), null, 'a changed expiry breaks the signature');
    assert.equal(signer.verify(`${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`, now), null);
    assert.equal(new SessionSigner('another-secret-of-the-same-length-000000', registry).verify(cookie, now), null, 'another gateway secret');
    assert.equal(signer.verify(undefined), null);
    assert.equal(signer.verify('v1.a.b'), null);
  });

  test('revoking or rotating the credential ends its sessions at once', () => {
    const w = world();
    const cookie = w.signer.issue(w.registry.login('ROOT', 'root-secret')!, 'root-secret');
    assert.ok(w.signer.verify(cookie));
    w.setRoot({ accessKeyId: 'ROOT', secretAccessKey: 'rotated-secret' });
    assert.equal(w.signer.verify(cookie), null, 'rotated secret');
    w.setRoot(null);
    assert.equal(w.signer.verify(cookie), null, 'removed credential');
    w.setRoot({ accessKeyId: 'ROOT', secretAccessKey: 'root-secret' });
    assert.ok(w.signer.verify(cookie), 'the same credential again');
  });

  test('the CSRF token belongs to one session; the login token to one pre-login cookie', () => {
    const { registry, signer } = world();
    const principal = registry.login('ROOT', 'root-secret')!;
    const a = signer.verify(signer.issue(principal, 'root-secret'))!;
    const b = signer.verify(signer.issue(principal, 'root-secret'))!;
    assert.ok(checkCsrf(a, a.csrf));
    assert.equal(checkCsrf(a, b.csrf), false);
    assert.equal(checkCsrf(a, undefined), false);
    assert.equal(checkCsrf(a, ''), false);
    assert.ok(signer.checkLoginCsrf('nonce-1', signer.loginCsrf('nonce-1')));
    assert.equal(signer.checkLoginCsrf('nonce-2', signer.loginCsrf('nonce-1')), false);
    assert.equal(signer.checkLoginCsrf(undefined, signer.loginCsrf('nonce-1')), false);
  });

  test('five failed logins lock an address out for the window; others and a success are unaffected', () => {
    const throttle = new LoginThrottle(5, 60_000);
    const t0 = 1_000_000;
    for (let i = 0; i < 4; i++) throttle.failed('10.0.0.1', t0 + i);
    assert.equal(throttle.retryAfter('10.0.0.1', t0 + 10), 0);
    throttle.failed('10.0.0.1', t0 + 10);
    assert.equal(throttle.retryAfter('10.0.0.1', t0 + 20), 60_000 - 20);
    assert.equal(throttle.retryAfter('10.0.0.2', t0 + 20), 0);
    assert.equal(throttle.retryAfter('10.0.0.1', t0 + 60_000), 0, 'the window has passed');
    throttle.failed('10.0.0.3', t0);
    throttle.succeeded('10.0.0.3');
    for (let i = 0; i < 4; i++) throttle.failed('10.0.0.3', t0);
    assert.equal(throttle.retryAfter('10.0.0.3', t0), 0, 'a success forgot the earlier failure');
  });

  test('the throttle remembers a bounded number of addresses', () => {
    const throttle = new LoginThrottle(1, 60_000, 3);
    for (const ip of ['a', 'b', 'c', 'd']) throttle.failed(ip, 0);
    assert.equal(throttle.retryAfter('a', 1), 0, 'the oldest was dropped');
    assert.ok(throttle.retryAfter('d', 1) > 0);
  });

  test('cookies are read by name, the first one winning', () => {
    const cookies = parseCookies('a=1; s3o_session=x.y; a=2');
    assert.equal(cookies.get('a'), '1');
    assert.equal(cookies.get('s3o_session'), 'x.y');
  });
});

describe('dashboard sessions at the admin API', () => {
  // A lookup with a read-only user beside root, as the identity issue's grants will give.
  const lookup = (id: string) => id === 'READER'
    ? { secret: 'reader-secret', principal: { accessKeyId: 'READER', grants: new Set(['admin-read'] as const) } }
    : identityLogin({ registry: registryWith({ accessKeyId: 'ROOT', secretAccessKey: 'root-secret' }) })(id);
  const registry = new LoginRegistry(lookup);
  const signer = new SessionSigner(SECRET, registry);
  const gate = adminSessionCheck(signer);
  const request = (method: string, cookie: string | undefined, csrf?: string) =>
    ({ method, headers: { ...(cookie ? { cookie: `s3o_session=${cookie}` } : {}), ...(csrf ? { 'x-csrf-token': csrf } : {}) } }) as unknown as FastifyRequest;
  const sessionOf = (id: string, secret: string) => {
    const cookie = signer.issue(registry.login(id, secret)!, secret);
    return { cookie, csrf: signer.verify(cookie)!.csrf };
  };
  const refusal = (decided: unknown) => (decided instanceof AdminError ? `${decided.status} ${decided.code}` : decided);

  test('no cookie: left to the SigV4 check; a bad cookie: refused', () => {
    assert.equal(gate(request('GET', undefined)), null);
    assert.equal(refusal(gate(request('GET', 'v1.forged'))), '403 AccessDenied');
  });

  test('root reads, and changes with its CSRF token only', () => {
    const root = sessionOf('ROOT', 'root-secret');
    assert.deepEqual(gate(request('GET', root.cookie)), { accessKeyId: 'ROOT' });
    assert.equal(refusal(gate(request('POST', root.cookie))), '403 InvalidCsrfToken');
    assert.equal(refusal(gate(request('DELETE', root.cookie, 'wrong'))), '403 InvalidCsrfToken');
    assert.deepEqual(gate(request('POST', root.cookie, root.csrf)), { accessKeyId: 'ROOT' });
  });

  test('a user with admin-read only reads, sees no action buttons, and is refused any change', () => {
    const reader = sessionOf('READER', 'reader-secret');
    assert.deepEqual(gate(request('GET', reader.cookie)), { accessKeyId: 'READER' });
    assert.equal(refusal(gate(request('POST', reader.cookie, reader.csrf))), '403 AccessDenied');
    const page = operationsPage({ base: '/ui', session: signer.verify(reader.cookie)!, assets: { js: 'a.js', css: 'a.css' } }, ['b1'], ['replicate']);
    assert.match(page, /<body data-can-write="false">/);
    assert.doesNotMatch(page, /<button type="button" data-(action|job|requeue)/, 'no action button');
    const rootPage = operationsPage({ base: '/ui', session: signer.verify(sessionOf('ROOT', 'root-secret').cookie)!, assets: { js: 'a.js', css: 'a.css' } }, ['b1'], ['replicate']);
    assert.match(rootPage, /<button type="button" data-action="drain">/);
    assert.match(rootPage, /<button type="button" data-job="replicate">/);
  });
});

describe('dashboard rendering helpers', () => {
  test('interpolated values are escaped', () => {
    assert.equal(html`<p title="${'"><script>'}">${'<b>&'}</p>`.text, '<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;&amp;</p>');
    assert.equal(escapeHtml(`'`), '&#39;');
  });

  test('the request series keeps one bucket per minute for the last hour', () => {
    const series = new RequestSeries();
    const t0 = 60_000 * 1000;
    series.record(200, t0);
    series.record(503, t0 + 1000);
    series.record(404, t0 + 61_000);
    const hour = series.lastHour(t0 + 61_000);
    assert.equal(hour.length, 60);
    assert.deepEqual(hour.slice(-2).map((s) => [s.requests, s.errors]), [[2, 1], [1, 0]]);
    assert.equal(series.lastHour(t0 + 61 * 60_000).reduce((n, s) => n + s.requests, 0), 0, 'an hour later it is all gone');
  });
});
