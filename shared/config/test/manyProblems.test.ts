import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../src/index.js';

test('all problems of a file are reported at once', () => {
  const text = `
server:
  listen_addr: "9000"
  max_object_size: 5 gigs
  backend_timeout: 30
auth:
  root: { access_key_id: ROOT, secret_access_key: r }
buckets:
  - name: My_Bucket
    credentials: []
  - name: metrics
    credentials:
      - { access_key_id: ROOT, secret_access_key: "\${VIDEOS_SECRET}" }
  - name: docs
    credentials:
      - { access_key_id: DOCS, secret_access_key: d }
  - name: docs
    credentials:
      - { access_key_id: DOCS2, secret_access_key: d }
backends:
  - name: b1
    bucket: real
    access_key_id: k
    secret_access_key: s
    quota_bytes: -5
  - name: b1
    endpoint: https://s3.example.com
    bucket: real
    access_key_id: k
    secret_access_key: s
routing_strategy: fastest
replication: { factor: 3 }
encryption: { enabled: true }
bus: { subject_prefix: "s3o.v1" }
tyop: 1
`;
  let error: unknown;
  try {
    parseConfig(text, {});
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.problems, [
    'buckets[1].credentials[0].secret_access_key: environment variable "VIDEOS_SECRET" is not set',
    'server.listen_addr: expected "host:port" or ":port", got "9000"',
    'server.max_object_size: expected a size like "5GB" or a number of bytes',
    'server.backend_timeout: expected a duration with a unit, like "30s" (a bare number is ambiguous)',
    'buckets[0].name: "My_Bucket" is not a valid S3 bucket name',
    'buckets[1].name: "metrics" is reserved (the gateway serves /metrics on the S3 port)',
    'backends[0].endpoint: required',
    'backends[0].quota_bytes: must not be negative',
    'routing_strategy: expected one of "pack", "spread", got "fastest"',
    'bus.subject_prefix: expected one token of letters, digits, "_" and "-", got "s3o.v1"',
    'replication.factor: must not exceed the number of backends (2)',
    'buckets[0].credentials: at least one credential is required',
    'buckets[3].name: duplicate bucket name "docs" (also buckets[2].name)',
    'backends[1].name: duplicate backend name "b1" (also backends[0].name)',
    'buckets[1].credentials[0].access_key_id: access key id "ROOT" is already used by auth.root',
    'encryption.master_key: required when encryption.enabled is true (or encryption.master_key_file)',
  ]);
  assert.deepEqual(error.warnings, ['unknown key "tyop" (ignored)']);
  assert.match(error.message, /^config: 16 problems:\n {2}- buckets\[1\]\.credentials\[0\]\.secret_access_key: /);
});
