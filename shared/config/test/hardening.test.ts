// The settings that protect the gateway from slow and hostile clients, TLS on the S3 port
// and towards backends, the metrics token, and an admin credential left unset through the
// environment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../src/index.js';
import { configAfter, problemsAfter } from './fixtures.js';

test('TLS needs a certificate and its key; a client CA needs both', () => {
  assert.deepEqual(problemsAfter((d) => (d.server = { tls: { cert_file: '/c.pem' } })), ['server.tls.key_file: required when server.tls.cert_file is set']);
  assert.deepEqual(problemsAfter((d) => (d.server = { tls: { key_file: '/k.pem' } })), ['server.tls.cert_file: required when server.tls.key_file is set']);
  assert.deepEqual(problemsAfter((d) => (d.server = { tls: { client_ca_file: '/ca.pem' } })), [
    'server.tls.client_ca_file: needs server.tls.cert_file and key_file (client certificates are asked for over TLS)',
  ]);
  assert.deepEqual(problemsAfter((d) => (d.server = { tls: { cert_file: '/c.pem', key_file: '/k.pem', min_version: '1.1' } })), [
    'server.tls.min_version: expected one of "1.2", "1.3", got "1.1"',
  ]);
  const { config } = configAfter((d) => (d.server = { tls: { cert_file: '/c.pem', key_file: '/k.pem' } }));
  assert.deepEqual(config.server.tls, { certFile: '/c.pem', keyFile: '/k.pem', minVersion: 'TLSv1.2', clientCaFile: null });
});

test('a backend CA file is only for https endpoints', () => {
  assert.deepEqual(problemsAfter((d) => (d.backends[0].ca_file = '/ca.pem')), ['backends[0].ca_file: only used with an https:// endpoint']);
  const { config } = configAfter((d) => {
    d.backends[0].endpoint = 'https://s3.internal:9443';
    d.backends[0].ca_file = '/etc/s3o/provider-ca.pem';
  });
  assert.equal(config.backends[0]!.caFile, '/etc/s3o/provider-ca.pem');
});

test('limits of slow clients: 0 turns a limit off, negative or unitless values are refused', () => {
  const { config } = configAfter((d) => (d.server = { body_idle_timeout: '0', min_body_rate: 0, max_inflight_bytes_per_ip: 0, max_buffered_bytes: '0' }));
  assert.equal(config.server.bodyIdleTimeoutMs, 0);
  assert.equal(config.server.minBodyRate, 0);
  assert.equal(config.server.maxInflightBytesPerIp, 0);
  assert.equal(config.server.maxBufferedBytes, 0);
  const problems = problemsAfter((d) => (d.server = { max_inflight_writes_per_credential: -1, idle_timeout: '0', read_header_timeout: '10' }));
  assert.deepEqual([...problems].sort(), [
    'server.idle_timeout: must be greater than 0',
    'server.max_inflight_writes_per_credential: must not be negative',
    'server.read_header_timeout: expected a duration with a unit, like "30s" (a bare number is ambiguous)',
  ]);
});

test('an auth.root whose values are all empty (unset ${VAR:-}) leaves the admin API off', () => {
  const text = (key: string, secret: string) => `
auth:
  root:
    access_key_id: "${key}"
    secret_access_key: "${secret}"
buckets:
  - name: photos
    credentials: [{ access_key_id: AK, secret_access_key: SK }]
backends:
  - { name: b1, endpoint: "http://127.0.0.1:9001", bucket: real, access_key_id: k, secret_access_key: s }
`;
  assert.equal(parseConfig(text('${S3O_ADMIN_KEY_ID:-}', '${S3O_ADMIN_SECRET:-}'), {}).config.auth.root, null);
  const set = parseConfig(text('${S3O_ADMIN_KEY_ID:-}', '${S3O_ADMIN_SECRET:-}'), { S3O_ADMIN_KEY_ID: 'admin', S3O_ADMIN_SECRET: 'generated-secret' });
  assert.deepEqual(set.config.auth.root, { accessKeyId: 'admin', secretAccessKey: 'generated-secret' });
  // Only one of the two set is a mistake, named by its key path.
  assert.throws(() => parseConfig(text('admin', '${S3O_ADMIN_SECRET:-}'), {}), /auth\.root\.secret_access_key: required/);
});
