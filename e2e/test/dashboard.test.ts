// The web dashboard (ui.*) in a real browser (Debian's chromium through playwright-core)
// against the whole system: wrong credentials and a bucket's credential cannot log in; root
// can; the overview shows every backend with the admin API's quota figures; an object
// uploaded through S3 is found in the tree with both copies; a file uploaded through the page
// reads back through S3; a drain started on the page reaches `drained`; requests without the
// CSRF token are refused. Screenshots of each page are saved as test artifacts
// (S3O_TEST_ARTIFACTS, default test-artifacts/); with S3O_DOCS_SCREENSHOTS=1 the overview and
// the inspector are also written to docs/images/ for the README.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { artifactsDir, getBytes, launchChromium, put, startSystem, testNothingEscaped, waitUntil, type E2ESystem } from '../src/index.js';
import { ADMIN_AUTH_OVERRIDES, ADMIN_ROOT, adminCall } from '../src/admin-calls.js';

const DOCS_IMAGES = fileURLToPath(new URL('../../docs/images', import.meta.url));
const SESSION_SECRET = 'e2e-dashboard-session-secret-0123456789';
const QUOTA = 20 * 1024 * 1024;

describe('dashboard', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let bucket: string;
  let shots: string;
  const ui = () => `${sys.url}/ui`;

  const shoot = async (name: string, docs = false) => {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
    if (docs && process.env['S3O_DOCS_SCREENSHOTS'] === '1') await page.screenshot({ path: join(DOCS_IMAGES, `dashboard-${name}.png`), fullPage: false });
  };

  before(async () => {
    sys = await startSystem({
      backends: [{ quota: QUOTA }, { quota: QUOTA }, { quota: QUOTA }],
      overrides: { ...ADMIN_AUTH_OVERRIDES, replication: { factor: 2 }, ui: { enabled: true, session_secret: SESSION_SECRET } },
    });
    s3 = sys.client();
    bucket = sys.bucket.name;
    await put(s3, { Bucket: bucket, Key: 'reports/2026/summary.txt', Body: Buffer.from('quarterly summary\n'), ContentType: 'text/plain', Metadata: { owner: 'finance' } });
    await put(s3, { Bucket: bucket, Key: 'reports/readme.md', Body: Buffer.from('# reports\n') });
    // The log view's test reads the refused logins back from the gateway's log: log them.
    assert.equal((await adminCall(sys.url, 'PUT', 'log-level', { body: { level: 'info' } })).status, 200);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    page = await context.newPage();
    shots = artifactsDir(`dashboard-${sys.mode}`);
  });
  after(async () => {
    await browser?.close();
    await sys?.stop();
  });

  const login = async (accessKeyId: string, secret: string) => {
    await page.goto(`${ui()}/login`);
    await page.fill('#access_key_id', accessKeyId);
    await page.fill('#secret_access_key', secret);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  };
  const sessionCookie = async () => (await context.cookies()).find((c) => c.name === 's3o_session');

  test('wrong credentials, and a credential without admin-read, cannot log in', async () => {
    await login(ADMIN_ROOT.accessKeyId, 'not-the-secret');
    assert.match(await page.textContent('[role=alert]') ?? '', /Wrong access key id or secret/);
    assert.equal(await sessionCookie(), undefined);
    await shoot('login-refused');
    // A bucket's credential is a valid S3 credential, but holds no admin grant.
    await login(sys.bucket.credentials.accessKeyId, sys.bucket.credentials.secretAccessKey);
    assert.match(await page.textContent('[role=alert]') ?? '', /may not use the dashboard/);
    assert.equal(await sessionCookie(), undefined);
    const overview = await page.goto(`${ui()}/`);
    assert.ok(overview!.url().endsWith('/ui/login'), 'without a session the overview sends the browser to log in');
  });

  test('root logs in: an HttpOnly SameSite=Strict session cookie, and the security headers', async () => {
    await login(ADMIN_ROOT.accessKeyId, ADMIN_ROOT.secretAccessKey);
    assert.equal(await page.textContent('h1'), 'Overview');
    const cookie = await sessionCookie();
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.ok(cookie.expires * 1000 > Date.now() + 23 * 3600_000 && cookie.expires * 1000 <= Date.now() + 24 * 3600_000 + 60_000, '24 h lifetime');
    const res = await page.goto(`${ui()}/`);
    const headers = res!.headers();
    assert.match(headers['content-security-policy']!, /script-src 'self'/);
    assert.doesNotMatch(headers['content-security-policy']!, /unsafe-inline/);
    assert.equal(headers['x-frame-options'], 'DENY');
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['referrer-policy'], 'no-referrer');
  });

  test('the overview shows every backend with the quota figures of the admin API', async () => {
    await page.goto(`${ui()}/`);
    const status = (await adminCall(sys.url, 'GET', 'status')).body;
    // The page was rendered from the same ledger a moment earlier; nothing writes in between.
    for (const b of status.backends) {
      const card = page.locator(`article[data-backend="${b.name}"]`);
      assert.equal(await card.locator('[data-field=used_bytes]').getAttribute('data-value'), String(b.quota.used_bytes), `${b.name} used`);
      assert.equal(await card.locator('[data-field=orphan_bytes]').getAttribute('data-value'), String(b.quota.orphan_bytes), `${b.name} orphan`);
      assert.equal(await card.locator('[data-field=limit_bytes]').getAttribute('data-value'), String(b.quota.limit_bytes), `${b.name} quota`);
      assert.equal(await card.locator('[data-field=drain]').textContent(), b.drain?.state ?? 'none');
    }
    // b1 took the writes above from this gateway: its card shows their latency.
    assert.match(await page.textContent('article[data-backend="b1"] [data-field=latency]') ?? '', /^\d+ \/ \d+ ms$/);
    assert.deepEqual(await page.locator('article[data-backend]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-backend'))), ['b1', 'b2', 'b3']);
    const stored = status.backends.reduce((n: number, b: { quota: { used_bytes: number } }) => n + b.quota.used_bytes, 0);
    assert.equal(await page.getAttribute('[data-total=stored]', 'data-value'), String(stored));
    assert.equal(await page.textContent('[data-total=objects]'), String(status.objects));
    assert.equal(await page.textContent('[data-total=backlog]'), String(status.replication.backlog));
    assert.equal(await page.textContent('[data-total=over-replicated]'), String(status.replication.over_replicated));
    await shoot('overview', true);
  });

  test('each backend card charts its requests over the month from the per-day usage of the admin API', async () => {
    // The puts above reached b1 (and their replicas b2): wait until the usage service folded them.
    type Daily = { days: Array<{ day: string; backend: string; api_requests: number }> };
    const daily = await waitUntil('the day\'s usage is folded', async () => (await adminCall(sys.url, 'GET', 'usage/daily')).body as Daily,
      (body) => body.days.some((d) => d.backend === 'b1' && d.api_requests > 0));
    await page.goto(`${ui()}/`);
    // Folds may go on while the page renders: the chart must equal the API's reading before or after it.
    const after = (await adminCall(sys.url, 'GET', 'usage/daily')).body as Daily;
    for (const name of ['b1', 'b2', 'b3']) {
      const chart = page.locator(`article[data-backend="${name}"] figure.month-usage`);
      const shown = await chart.getAttribute('data-day-requests');
      const expected = (body: Daily) => body.days.filter((d) => d.backend === name).map((d) => `${d.day}=${d.api_requests}`).join(' ');
      assert.ok(shown === expected(daily) || shown === expected(after), `${name}: the chart shows ${shown}, the API ${expected(after)}`);
      const total = shown === '' ? 0 : shown!.split(' ').reduce((n, pair) => n + Number(pair.split('=')[1]), 0);
      assert.equal(await chart.locator('[data-chart=month-requests]').textContent(), String(total));
    }
    assert.notEqual(await page.getAttribute('article[data-backend="b1"] figure.month-usage', 'data-day-requests'), '');
    await shoot('overview-usage');
  });

  test('browsing to an object uploaded through S3 shows both of its copies', async () => {
    const locations = await waitUntil('both copies are written', async () =>
      (await adminCall(sys.url, 'GET', 'object-locations', { query: { bucket, key: 'reports/2026/summary.txt' } })).body,
    (l) => l.copies?.filter((c: { state: string }) => c.state === 'ok').length === 2);
    await page.goto(`${ui()}/objects`);
    await page.click(`li[data-bucket="${bucket}"][data-prefix=""] > button`);
    await page.click(`li[data-prefix="reports/"] > button`);
    await page.click(`li[data-prefix="reports/2026/"] > button`);
    await page.click(`li[data-key="reports/2026/summary.txt"] > button`);
    await page.waitForSelector('#inspector table.copies');
    const shown = await page.locator('#inspector tr[data-copy]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-copy')).sort());
    assert.deepEqual(shown, locations.copies.map((c: { backend: string }) => c.backend).sort());
    // When the scrubber last read each copy and found it good (no scrub ran here: never).
    const verified = await page.locator('#inspector tr[data-copy] [data-field=verified]').allTextContents();
    assert.deepEqual(verified, locations.copies.map((c: { verified_at: string | null }) => c.verified_at ?? 'never'));
    assert.equal(await page.textContent('#inspector [data-field=etag]'), locations.etag);
    assert.equal(await page.textContent('#inspector [data-field=content-type]'), 'text/plain');
    assert.match(await page.textContent('#inspector [data-field=metadata]') ?? '', /owner: finance/);
    const download = await page.getAttribute('#download', 'href');
    assert.equal(await page.evaluate(async (href) => (await fetch(href!)).text(), download), 'quarterly summary\n');
    await shoot('inspector', true);
  });

  test('a file uploaded through the page reads back through S3', async () => {
    const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    await page.goto(`${ui()}/objects`);
    await page.click(`li[data-bucket="${bucket}"][data-prefix=""] > button`);
    await page.click(`li[data-prefix="reports/"] > button`);
    await page.setInputFiles('#upload-file', { name: 'upload.bin', mimeType: 'application/octet-stream', buffer: body });
    await page.fill('#upload-key', 'from-the-page.bin');
    await page.click('#upload-go');
    await page.locator('#upload-status').filter({ hasText: /Uploaded|Refused|failed/ }).waitFor();
    assert.equal(await page.textContent('#upload-status'), 'Uploaded reports/from-the-page.bin');
    assert.equal(await page.getAttribute('#upload-progress', 'value'), '1');
    const read = await getBytes(s3, { Bucket: bucket, Key: 'reports/from-the-page.bin' });
    assert.deepEqual(read.body, body);
    assert.equal(read.output.ContentType, 'application/octet-stream');
    await shoot('upload');
  });

  test('a POST without the CSRF token is refused and changes nothing', async () => {
    await page.goto(`${ui()}/operations`);
    const refused = await page.evaluate(async () => {
      const res = await fetch('/admin/api/backends/b1/drain', { method: 'POST', credentials: 'same-origin' });
      return { status: res.status, body: (await res.json()) as { error: { code: string } } };
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'InvalidCsrfToken');
    assert.equal((await adminCall(sys.url, 'GET', 'backends/b1/drain')).status, 404, 'no drain was started');
    const wrong = await page.evaluate(async () => (await fetch('/admin/api/backends/b1/drain', { method: 'POST', headers: { 'x-csrf-token': 'forged' } })).status);
    assert.equal(wrong, 403);
    const presign = await page.evaluate(async () => (await fetch('/ui/api/presign', { method: 'POST', body: '{"method":"DELETE","bucket":"x","keys":["a"]}' })).status);
    assert.equal(presign, 403);
    const logout = await page.evaluate(async () => (await fetch('/ui/logout', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=' })).status);
    assert.equal(logout, 403);
    assert.ok(await sessionCookie(), 'still logged in');
  });

  test('a drain started on the page reaches drained, and the backend returns to service', async () => {
    await page.goto(`${ui()}/operations`);
    const card = page.locator('[data-drain=b3]');
    await card.locator('[data-field=state]').filter({ hasText: 'never drained' }).waitFor();
    await card.locator('button[data-action=drain]').click();
    await card.locator('[data-field=state]').filter({ hasText: /^drained$/ }).waitFor({ timeout: 120_000 });
    const drain = (await adminCall(sys.url, 'GET', 'backends/b3/drain')).body;
    assert.equal(drain.state, 'drained');
    assert.equal(drain.remaining.copies, 0);
    await shoot('operations');
    await card.locator('button[data-action=cancel]').click();
    await card.locator('[data-field=state]').filter({ hasText: /^cancelled$/ }).waitFor();
    assert.equal((await adminCall(sys.url, 'GET', 'backends/b3/drain')).body.state, 'cancelled');
  });

  test('requeueing dead letters from the page sends its JSON body through the session', async () => {
    await page.goto(`${ui()}/operations`);
    await page.locator('[data-list=cleanup-dlq] [data-field=depth]').waitFor();
    assert.equal(await page.textContent('[data-list=cleanup-dlq] [data-field=depth]'), `${(await adminCall(sys.url, 'GET', 'cleanup-dlq')).body.depth} entries`);
    await page.click('button[data-requeue=cleanup-dlq]');
    await page.locator('button[data-requeue=cleanup-dlq]').filter({ hasText: /^Requeued \d+$/ }).waitFor();
  });

  test('the running configuration is shown with its secrets redacted', async () => {
    await page.goto(`${ui()}/operations`);
    await page.locator('#config-view').filter({ hasText: 'sessionSecret' }).waitFor();
    const shown = await page.textContent('#config-view') ?? '';
    assert.match(shown, /"sessionSecret": "<redacted>"/);
    assert.ok(!shown.includes(SESSION_SECRET) && !shown.includes(ADMIN_ROOT.secretAccessKey), 'no secret on the page');
  });

  test('a job run from the page streams its progress into the page', async () => {
    await page.goto(`${ui()}/operations`);
    await page.click('button[data-job=replicate]');
    await page.locator('#job-output').filter({ hasText: /replicate (done|failed)/ }).waitFor({ timeout: 60_000 });
    const text = await page.textContent('#job-output') ?? '';
    assert.match(text, /replicate started/);
    assert.match(text, /replicate done/);
  });

  test('the log filtered by level shows the refused logins as warnings', async () => {
    // A refused login just now (from another browser), so its warning is still in the gateway's ring of recent lines.
    const other = await browser.newContext();
    try {
      const p = await other.newPage();
      await p.goto(`${ui()}/login`);
      await p.fill('#access_key_id', 'someone-else');
      await p.fill('#secret_access_key', 'guess');
      await Promise.all([p.waitForLoadState('load'), p.click('button[type=submit]')]);
      await p.locator('[role=alert]').waitFor();
    } finally {
      await other.close();
    }
    await page.goto(`${ui()}/operations`);
    await page.selectOption('#log-level', 'warn');
    await page.locator('#log-lines').filter({ hasText: 'dashboard login refused' }).waitFor();
    const lines = (await page.textContent('#log-lines') ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number | string });
    assert.ok(lines.length > 0);
    for (const line of lines) assert.ok(typeof line.level === 'number' ? line.level >= 40 : ['warn', 'error', 'fatal'].includes(line.level), JSON.stringify(line));
  });

  test('deleting a prefix needs it typed, then removes every object under it', async () => {
    for (const k of ['a.txt', 'b.txt', 'deep/c.txt']) await put(s3, { Bucket: bucket, Key: `scratch/${k}`, Body: Buffer.from(k) });
    await put(s3, { Bucket: bucket, Key: 'scratch-kept.txt', Body: Buffer.from('kept') });
    await page.goto(`${ui()}/objects`);
    await page.click(`li[data-bucket="${bucket}"][data-prefix=""] > button`);
    await page.click(`li[data-prefix="scratch/"] > button`);
    await page.fill('#delete-prefix-confirm', 'scratch');
    await page.click('#delete-prefix');
    await page.locator('#inspector [role=status]').filter({ hasText: 'Type scratch/ exactly' }).waitFor();
    assert.equal((await adminCall(sys.url, 'GET', 'objects', { query: { bucket, prefix: 'scratch/' } })).body.objects.length, 3, 'nothing deleted without the confirmation');
    await page.fill('#delete-prefix-confirm', 'scratch/');
    await page.click('#delete-prefix');
    await page.locator('#inspector [role=status]').filter({ hasText: /^Deleted 3 objects\.$/ }).waitFor();
    assert.equal((await adminCall(sys.url, 'GET', 'objects', { query: { bucket, prefix: 'scratch' } })).body.objects.map((o: { key: string }) => o.key).join(), 'scratch-kept.txt');
  });

  test('every gateway accepts the session (they share ui.session_secret)', async () => {
    const cookie = (await sessionCookie())!.value;
    for (const url of sys.gatewayUrls) {
      const res = await fetch(`${url}/ui/operations`, { headers: { cookie: `s3o_session=${cookie}` }, redirect: 'manual' });
      assert.equal(res.status, 200, url);
      assert.match(await res.text(), /<h1>Operations<\/h1>/);
    }
  });

  test('on a phone, in dark mode and by keyboard alone', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', storageState: await context.storageState() });
    const p = await phone.newPage();
    try {
      for (const path of ['/', '/objects', '/operations']) {
        await p.goto(`${ui()}${path}`);
        const overflow = (await p.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
        assert.ok(overflow <= 0, `${path}: ${overflow}px wider than the phone`);
      }
      const background = await p.evaluate('getComputedStyle(document.body).backgroundColor');
      assert.equal(background, 'rgb(15, 18, 22)', 'the dark palette');
      await p.goto(`${ui()}/`);
      await p.screenshot({ path: join(shots, 'overview-phone-dark.png'), fullPage: true });
      // Keyboard: the skip link first, then the page links; Enter follows one, and the tree opens with Enter.
      await p.keyboard.press('Tab');
      assert.equal(await p.evaluate('document.activeElement && document.activeElement.textContent'), 'Skip to content');
      await p.keyboard.press('Tab');
      await p.keyboard.press('Tab');
      assert.equal(await p.evaluate('document.activeElement && document.activeElement.textContent'), 'Objects');
      await Promise.all([p.waitForURL(/\/ui\/objects$/), p.keyboard.press('Enter')]);
      await p.focus(`li[data-bucket="${bucket}"][data-prefix=""] > button`);
      await p.keyboard.press('Enter');
      await p.locator('li[data-prefix="reports/"]').waitFor();
      assert.equal(await p.getAttribute(`li[data-bucket="${bucket}"][data-prefix=""]`, 'aria-expanded'), 'true');
    } finally {
      await phone.close();
    }
  });

  test('a logged-out session cannot be used again', async () => {
    await page.goto(`${ui()}/`);
    const stale = (await sessionCookie())!.value;
    await Promise.all([page.waitForLoadState('load'), page.click('form.logout button')]);
    assert.ok(page.url().endsWith('/ui/login'));
    assert.equal(await sessionCookie(), undefined);
    // The cookie itself stays valid until it expires (sessions are not stored); logging out
    // removes it from the browser. A request that still carries it is the same principal.
    const res = await fetch(`${sys.url}/admin/api/status`, { headers: { cookie: `s3o_session=${stale}x` } });
    assert.equal(res.status, 403, 'a tampered cookie is refused');
  });

  testNothingEscaped(() => sys);
});
