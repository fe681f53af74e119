// Each validation rule, with the exact message and key path it produces.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configAfter, problemsAfter, problemsOf } from './fixtures.js';

const credential = (id: string) => ({ access_key_id: id, secret_access_key: `${id}-secret` });

test('at least one bucket and one backend', () => {
  assert.deepEqual(problemsOf(''), ['buckets: at least one bucket is required', 'backends: at least one backend is required']);
  assert.deepEqual(
    problemsAfter((d) => {
      d.buckets = [];
      d.backends = [];
    }),
    ['buckets: at least one bucket is required', 'backends: at least one backend is required'],
  );
});

test('bucket names must be valid S3 bucket names', () => {
  const invalid = ['My_Bucket', 'ab', 'a'.repeat(64), '-leading', 'trailing-', 'trailing.', 'a..b', '192.168.1.1', 'has space', 'UPPER'];
  for (const name of invalid) {
    assert.deepEqual(
      problemsAfter((d) => (d.buckets[0].name = name)),
      [`buckets[0].name: ${JSON.stringify(name)} is not a valid S3 bucket name`],
      name,
    );
  }
  for (const name of ['abc', 'a'.repeat(63), 'my.bucket-1', '1bucket', '192.168.1.1x']) {
    assert.equal(configAfter((d) => (d.buckets[0].name = name)).config.buckets[0]!.name, name);
  }
});

test('bucket names shared with the gateway routes are reserved', () => {
  for (const name of ['admin', 'health', 'metrics', 'ui']) {
    assert.deepEqual(problemsAfter((d) => (d.buckets[0].name = name)), [
      `buckets[0].name: "${name}" is reserved (the gateway serves /${name} on the S3 port)`,
    ]);
  }
});

test('bucket names are unique', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.buckets.push({ name: 'videos', credentials: [credential('AK2')] });
      d.buckets.push({ name: 'photos', credentials: [credential('AK3')] });
    }),
    ['buckets[2].name: duplicate bucket name "photos" (also buckets[0].name)'],
  );
});

test('a bucket needs a name and at least one credential, each with both halves', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.buckets = [{ credentials: [] }, { name: 'videos' }, { name: 'docs', credentials: [{ access_key_id: 'X' }] }];
    }),
    [
      'buckets[0].name: required',
      'buckets[2].credentials[0].secret_access_key: required',
      'buckets[0].credentials: at least one credential is required',
      'buckets[1].credentials: at least one credential is required',
    ],
  );
});

test('access key ids are unique across all buckets and auth.root', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.auth = { root: credential('ROOT') };
      d.buckets[0].credentials.push(credential('AK-PHOTOS'));
      d.buckets.push({ name: 'videos', credentials: [credential('AK-PHOTOS'), credential('ROOT')] });
    }),
    [
      'buckets[0].credentials[1].access_key_id: access key id "AK-PHOTOS" is already used by buckets[0].credentials[0]',
      'buckets[1].credentials[0].access_key_id: access key id "AK-PHOTOS" is already used by buckets[0].credentials[0]',
      'buckets[1].credentials[1].access_key_id: access key id "ROOT" is already used by auth.root',
    ],
  );
});

test('auth.root needs both halves when present', () => {
  assert.deepEqual(problemsAfter((d) => (d.auth = { root: { access_key_id: 'ROOT' } })), [
    'auth.root.secret_access_key: required',
  ]);
});

test('backend names are required, unique and plain', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      const base = d.backends[0];
      d.backends = [
        { ...base, name: '' },
        { ...base, name: 'my backend' },
        { ...base, name: 'b1' },
        { ...base, name: 'b1' },
        { ...base, name: 'b/2' },
      ];
    }),
    [
      'backends[0].name: required',
      'backends[1].name: "my backend" may only contain letters, digits, "_", "." and "-"',
      'backends[4].name: "b/2" may only contain letters, digits, "_", "." and "-"',
      'backends[3].name: duplicate backend name "b1" (also backends[2].name)',
    ],
  );
});

test('backend endpoint is a required http(s) URL; bucket and keys are required', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.backends.push({ name: 'b2' });
      d.backends.push({ ...d.backends[0], name: 'b3', endpoint: 'ftp://host' });
      d.backends.push({ ...d.backends[0], name: 'b4', endpoint: 'not a url' });
    }),
    [
      'backends[1].endpoint: required',
      'backends[1].bucket: required',
      'backends[1].access_key_id: required',
      'backends[1].secret_access_key: required',
      'backends[2].endpoint: expected an http:// or https:// URL, got "ftp://host"',
      'backends[3].endpoint: expected an http:// or https:// URL, got "not a url"',
    ],
  );
});

test('quota_bytes is a size of at least 0 (0 = unlimited)', () => {
  assert.deepEqual(problemsAfter((d) => (d.backends[0].quota_bytes = -1)), ['backends[0].quota_bytes: must not be negative']);
  assert.deepEqual(problemsAfter((d) => (d.backends[0].quota_bytes = 'lots')), [
    'backends[0].quota_bytes: expected a size like "5GB" or a number of bytes',
  ]);
  assert.equal(configAfter((d) => (d.backends[0].quota_bytes = 0)).config.backends[0]!.quotaBytes, 0);
  assert.equal(configAfter((d) => (d.backends[0].quota_bytes = '2GiB')).config.backends[0]!.quotaBytes, 2 ** 31);
});

test('routing_strategy is pack or spread', () => {
  assert.deepEqual(problemsAfter((d) => (d.routing_strategy = 'random')), [
    'routing_strategy: expected one of "pack", "spread", got "random"',
  ]);
});

test('server.listen_addr is host:port or :port', () => {
  for (const addr of ['9000', 'localhost', 'a b:9000', 'http://x:9000']) {
    assert.deepEqual(problemsAfter((d) => (d.server = { listen_addr: addr })), [
      `server.listen_addr: expected "host:port" or ":port", got ${JSON.stringify(addr)}`,
    ]);
  }
  assert.deepEqual(problemsAfter((d) => (d.server = { listen_addr: ':70000' })), [
    'server.listen_addr: port must be 0-65535, got 70000',
  ]);
  assert.deepEqual(problemsAfter((d) => (d.server = { listen_addr: '[zz::1]:9000' })), [
    'server.listen_addr: expected "host:port" or ":port", got "[zz::1]:9000"',
  ]);
});

test('bus.subject_prefix is one token; bus.stream and bus.url are checked', () => {
  for (const prefix of ['s3o.events', 's3o*', 'a b', '>']) {
    assert.deepEqual(problemsAfter((d) => (d.bus = { subject_prefix: prefix })), [
      `bus.subject_prefix: expected one token of letters, digits, "_" and "-", got ${JSON.stringify(prefix)}`,
    ]);
  }
  assert.deepEqual(problemsAfter((d) => (d.bus = { stream: 'a.b' })), [
    'bus.stream: expected a stream name of letters, digits, "_" and "-", got "a.b"',
  ]);
  assert.deepEqual(problemsAfter((d) => (d.bus = { url: 'http://nats:4222' })), [
    'bus.url: expected a NATS server URL like "nats://127.0.0.1:4222", got "http://nats:4222"',
  ]);
  assert.equal(configAfter((d) => (d.bus = { url: '127.0.0.1:4222' })).config.bus.url, '127.0.0.1:4222');
});

test('bus.driver memory is refused with postgres; left out, the bus follows the database', () => {
  assert.deepEqual(problemsAfter((d) => { d.database = { driver: 'postgres' }; d.bus = { driver: 'memory' }; }), [
    'bus.driver: "memory" cannot be used with postgres (events could be skipped); use "nats"',
  ]);
  assert.deepEqual(problemsAfter((d) => { d.database = { host: 'pg.internal' }; d.bus = { driver: 'memory' }; }), [
    'bus.driver: "memory" cannot be used with postgres (events could be skipped); use "nats"',
  ]);
  assert.equal(configAfter((d) => (d.database = { host: 'pg.internal' })).config.bus.driver, 'nats');
  assert.equal(configAfter(() => {}).config.bus.driver, 'memory');
});

test('server.virtual_host_suffix is a DNS name', () => {
  assert.deepEqual(problemsAfter((d) => (d.server = { virtual_host_suffix: 'https://s3.example.com' })), [
    'server.virtual_host_suffix: expected a DNS name like "s3.example.com", got "https://s3.example.com"',
  ]);
});

test('values that relate to each other', () => {
  assert.deepEqual(problemsAfter((d) => (d.database = { max_conns: 2, min_conns: 3 })), [
    'database.min_conns: must not exceed max_conns (2)',
  ]);
  assert.deepEqual(problemsAfter((d) => (d.cleanup_queue = { backoff_base: '2h', backoff_max: '1h' })), [
    'cleanup_queue.backoff_max: must not be shorter than backoff_base',
  ]);
  assert.deepEqual(problemsAfter((d) => (d.write_path = { pending_pattern: { heartbeat: '5m' } })), [
    'write_path.pending_pattern.heartbeat: must be shorter than min_age (live writes would be reaped)',
  ]);
  assert.deepEqual(problemsAfter((d) => (d.write_path = { pending_pattern: { enabled: false } })), [
    'write_path.pending_pattern.enabled: cannot be turned off (every write records its intent before touching a backend)',
  ]);
});

test('circuit_breaker values: a threshold of at least 1, a non-zero open_timeout, cache_ttl may be 0', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.circuit_breaker = {
        failure_threshold: 0,
        open_timeout: '0',
        cache_ttl: '-1s',
        parallel_broadcast: 'yes',
        degraded_broadcast_parallelism: -1,
        degraded_reads_enabled: 'no',
      };
    }),
    [
      'circuit_breaker.failure_threshold: must be at least 1',
      'circuit_breaker.open_timeout: must be greater than 0',
      'circuit_breaker.cache_ttl: must not be negative',
      'circuit_breaker.parallel_broadcast: expected true or false',
      'circuit_breaker.degraded_broadcast_parallelism: must not be negative',
      'circuit_breaker.degraded_reads_enabled: expected true or false',
    ],
  );
  assert.equal(configAfter((d) => (d.circuit_breaker = { cache_ttl: '0' })).config.circuitBreaker.cacheTtlMs, 0);
});

test('type problems are phrased in YAML terms', () => {
  assert.deepEqual(
    problemsAfter((d) => {
      d.server = { max_concurrent_requests: 'many', port: 1 };
      d.backends[0].force_path_style = 'yes';
      d.logging = { level: 'loud' };
      d.cleanup_queue = { concurrency: 0, batch_size: 1.5 };
      d.database = { port: 70000, ssl_mode: 'on' };
    }),
    [
      'server.max_concurrent_requests: expected a whole number',
      'database.port: must be at most 65535',
      'database.ssl_mode: expected one of "disable", "allow", "prefer", "require", "verify-ca", "verify-full", got "on"',
      'backends[0].force_path_style: expected true or false',
      'cleanup_queue.concurrency: must be at least 1',
      'cleanup_queue.batch_size: expected a whole number',
      'logging.level: expected one of "trace", "debug", "info", "warn", "error", "fatal", got "loud"',
    ],
  );
  assert.deepEqual(problemsOf('- just\n- a list\n'), ['(top level): expected a mapping, got a list']);
  assert.deepEqual(
    problemsAfter((d) => {
      d.server = ['listen_addr'];
      d.buckets[0].credentials = 'AK:SK';
      d.backends[0].region = { name: 'eu' };
    }),
    [
      'server: expected a mapping, got a list',
      'buckets[0].credentials: expected a list, got a single value',
      'backends[0].region: expected a single value, got a mapping',
    ],
  );
});

test('invalid YAML is reported with its position', () => {
  assert.deepEqual(problemsOf('buckets:\n\t- name: a\n'), [
    'not valid YAML: Tabs are not allowed as indentation at line 2, column 1',
  ]);
  assert.deepEqual(problemsOf('a: 1\na: 2\n'), ['not valid YAML: Map keys must be unique at line 2, column 1']);
});

test('database.statement_cache is a count of statements, 0 turning it off', () => {
  assert.deepEqual(problemsAfter((d) => (d.database = { statement_cache: -1 })), [
    'database.statement_cache: must not be negative',
  ]);
  assert.equal(configAfter((d) => (d.database = { statement_cache: 0 })).config.database.statementCacheSize, 0);
});
