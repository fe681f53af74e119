// `ui.*`: the dashboard's settings, their defaults and the problems that name their key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../src/index.js';

const BASE = `
buckets:
  - name: photos
    credentials: [{ access_key_id: AK, secret_access_key: SK }]
database: { driver: sqlite, path: /tmp/x.db }
backends:
  - { name: b1, endpoint: "http://127.0.0.1:1", bucket: x, access_key_id: a, secret_access_key: s }
`;

function problems(ui: string): string[] {
  try {
    parseConfig(`${BASE}ui:\n${ui}`, {});
    return [];
  } catch (err) {
    return String((err as Error).message).split('\n');
  }
}

test('ui settings are read into their fields', () => {
  const { config } = parseConfig(`${BASE}ui:\n  enabled: true\n  path: /console\n  session_secret: ${'s'.repeat(32)}\n  force_secure_cookies: true\n`, {});
  assert.deepEqual(config.ui, { enabled: true, path: '/console', sessionSecret: 's'.repeat(32), forceSecureCookies: true });
});

test('an enabled dashboard needs a session secret of 32 characters or more', () => {
  assert.ok(problems('  enabled: true\n').some((p) => p.includes('ui.session_secret') && p.includes('required when ui.enabled')));
  assert.ok(problems('  enabled: true\n  session_secret: short\n').some((p) => p.includes('ui.session_secret') && p.includes('at least 32')));
});

test('the path is one segment that hides no gateway route and no bucket', () => {
  const secret = `  enabled: true\n  session_secret: ${'s'.repeat(32)}\n`;
  assert.ok(problems(`${secret}  path: /admin\n`).some((p) => p.includes('ui.path') && p.includes('route of the gateway')));
  assert.ok(problems(`${secret}  path: /photos\n`).some((p) => p.includes('ui.path') && p.includes('bucket "photos"')));
  assert.ok(problems(`${secret}  path: /a/b\n`).some((p) => p.includes('ui.path') && p.includes('one path segment')));
});
