import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig, type Config } from '../src/index.js';
import { configAfter, minimalDocument, parseDocument } from './fixtures.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

test('a minimal configuration gets every default', () => {
  const { config, warnings } = parseDocument(minimalDocument());
  const expected: Config = {
    server: {
      listenAddr: '0.0.0.0:9000',
      host: '0.0.0.0',
      port: 9000,
      maxObjectSize: 5 * GiB,
      replayBufferBytes: 8 * MiB,
      spillDir: null,
      virtualHostSuffix: null,
      backendTimeoutMs: 30_000,
      shutdownDelayMs: 0,
      maxConcurrentRequests: 1024,
      maxConcurrentReads: 0,
      maxConcurrentWrites: 256,
      loadShedThreshold: 0,
      admissionWaitMs: 1000,
      readHeaderTimeoutMs: 10_000,
      idleTimeoutMs: 65_000,
      bodyIdleTimeoutMs: 20_000,
      requestTimeoutMs: 3_600_000,
      minBodyRate: 4096,
      maxInflightWritesPerCredential: 64,
      maxInflightWritesPerIp: 64,
      maxInflightBytesPerCredential: 20 * GiB,
      maxInflightBytesPerIp: 20 * GiB,
      maxBufferedBytes: 512 * MiB,
      tls: null,
    },
    auth: { root: null },
    buckets: [
      { name: 'photos', credentials: [{ accessKeyId: 'AK-PHOTOS', secretAccessKey: 'photos-secret' }], maxMultipartUploads: 0, cors: [] },
    ],
    database: {
      driver: 'sqlite',
      path: './data/s3o.db',
      host: null,
      port: 5432,
      user: null,
      password: null,
      name: null,
      sslMode: 'require',
      maxConns: 10,
      minConns: 5,
      maxConnLifetimeMs: 300_000,
      statementCacheSize: 256,
    },
    backends: [
      {
        name: 'b1',
        endpoint: 'http://127.0.0.1:9001',
        region: 'us-east-1',
        bucket: 'real-bucket',
        accessKeyId: 'backend-key',
        secretAccessKey: 'backend-secret',
        forcePathStyle: true,
        quotaBytes: 0,
        maxObjectSize: 0,
        apiRequestLimit: 0,
        egressByteLimit: 0,
        ingressByteLimit: 0,
        caFile: null,
      },
    ],
    routingStrategy: 'pack',
    replication: { factor: 1, workerIntervalMs: 300_000, batchSize: 50, concurrency: 5, unhealthyThresholdMs: 600_000 },
    bus: {
      driver: 'memory',
      url: 'nats://127.0.0.1:4222',
      stream: 'S3O_EVENTS',
      subjectPrefix: 's3o',
      retentionMs: 7 * 24 * 3_600_000,
      pruneIntervalMs: 3_600_000,
      maxDeliver: 5,
      pollIntervalMs: 1_000,
    },
    cleanupQueue: {
      concurrency: 4,
      tickMs: 5_000,
      batchSize: 50,
      backoffBaseMs: 60_000,
      backoffMaxMs: 24 * 3_600_000,
      maxAttempts: 10,
      multipartStaleTimeoutMs: 24 * 3_600_000,
      confirmDelayMs: 60_000,
    },
    writePath: { pendingPattern: { reaperTickMs: 60_000, minAgeMs: 300_000, batchSize: 50, heartbeatMs: 30_000 } },
    lifecycle: { rules: [], intervalMs: 3_600_000, batchSize: 1000 },
    reconcile: { enabled: false, intervalMs: 3_600_000 },
    logging: { level: 'info' },
    circuitBreaker: {
      failureThreshold: 3,
      openTimeoutMs: 15_000,
      cacheTtlMs: 60_000,
      parallelBroadcast: true,
      degradedBroadcastParallelism: 0,
      degradedReadsEnabled: true,
    },
    backendCircuitBreaker: { enabled: false, failureThreshold: 5, openTimeoutMs: 300_000 },
    notifications: {
      endpoints: [], region: 'us-east-1', concurrency: 8, pollIntervalMs: 1000, backoffBaseMs: 1000, backoffMaxMs: 300_000, leaseMs: 60_000,
    },
    rebalance: { enabled: false, strategy: 'pack', intervalMs: 6 * 3_600_000, batchSize: 100, threshold: 0.1, concurrency: 5 },
    rateLimit: { enabled: false, requestsPerSec: 100, burst: 200, trustedProxies: [], cleanupIntervalMs: 60_000, cleanupMaxAgeMs: 300_000 },
    usageFlush: { intervalMs: 1_000, adaptiveEnabled: false, adaptiveThreshold: 0.8, fastIntervalMs: 200 },
    encryption: { enabled: false, chunkSize: 65536, masterKey: null, previousKeys: [] },
    integrity: { enabled: false, scrub: { enabled: false, intervalMs: 3_600_000, objectsPerPass: 1000, bytesPerSecond: 16 * 1024 * 1024, minAgeMs: 7 * 86_400_000 } },
    telemetry: {
      metrics: { enabled: true, path: '/metrics', listen: null, bearerToken: null },
      tracing: { enabled: false, url: 'http://localhost:4318/v1/traces', sampleRate: 1 },
    },
    ui: { enabled: false, path: '/ui', sessionSecret: null, forceSecureCookies: false },
  };
  assert.deepEqual(config, expected);
  assert.deepEqual(warnings, []);
});

test('every setting written out is read into its camelCase field', () => {
  const text = `
server:
  listen_addr: "127.0.0.1:0"
  max_object_size: 1GB
  replay_buffer_bytes: 0
  spill_dir: /var/spool/s3o
  virtual_host_suffix: s3.example.test
  backend_timeout: 1500ms
  shutdown_delay: 2s
  max_concurrent_requests: 64
  max_concurrent_reads: 40
  max_concurrent_writes: 20
  load_shed_threshold: 0.75
  admission_wait: 50ms
  read_header_timeout: 3s
  idle_timeout: 30s
  body_idle_timeout: 5s
  request_timeout: "0"
  min_body_rate: 1KB
  max_inflight_writes_per_credential: 8
  max_inflight_writes_per_ip: 0
  max_inflight_bytes_per_credential: 1GiB
  max_inflight_bytes_per_ip: 2GB
  max_buffered_bytes: 64MiB
  tls: { cert_file: /etc/s3o/cert.pem, key_file: /etc/s3o/key.pem, min_version: "1.3", client_ca_file: /etc/s3o/ca.pem }
auth:
  root: { access_key_id: ROOT, secret_access_key: root-secret }
buckets:
  - name: my.bucket-1
    max_multipart_uploads: 3
    credentials:
      - { access_key_id: K1, secret_access_key: S1 }
      - { access_key_id: K2, secret_access_key: S2 }
    cors:
      - allowed_origins: ["https://*.example.com"]
        allowed_methods: [GET, PUT]
        allowed_headers: [Content-Type]
        expose_headers: [ETag]
        max_age: 600
database:
  driver: sqlite
  path: /tmp/s3o-test.db
  port: 6543
  user: u
  password: p
  name: n
  ssl_mode: disable
  max_conns: 3
  max_conn_lifetime: 90s
  statement_cache: 0
backends:
  - name: Backend_1.a-b
    endpoint: https://s3.example.test
    region: eu-central-1
    bucket: real
    access_key_id: AKB
    secret_access_key: SKB
    force_path_style: false
    quota_bytes: 10GB
    max_object_size: 100MiB
    api_request_limit: 1000000
    egress_byte_limit: 10GB
    ingress_byte_limit: 5GiB
    ca_file: /etc/s3o/provider-ca.pem
routing_strategy: spread
replication: { factor: 1 }
bus:
  url: nats://nats.internal:4222,nats://nats2.internal:4222
  stream: TEST_STREAM
  subject_prefix: t-1_x
  retention: 1h
  prune_interval: 10m
  max_deliver: 2
  poll_interval: 50ms
cleanup_queue:
  concurrency: 1
  tick: 100ms
  batch_size: 2
  backoff_base: 10ms
  backoff_max: 1s
  max_attempts: 3
  multipart_stale_timeout: 2h
  confirm_delay: 0s
write_path:
  pending_pattern: { reaper_tick: 200ms, min_age: 1s, batch_size: 5, heartbeat: 250ms }
logging: { level: debug }
circuit_breaker:
  failure_threshold: 5
  open_timeout: 2s
  cache_ttl: "0"
  parallel_broadcast: false
  degraded_broadcast_parallelism: 2
  degraded_reads_enabled: false
`;
  const { config, warnings } = parseConfig(text, {});
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.server, {
    listenAddr: '127.0.0.1:0',
    host: '127.0.0.1',
    port: 0,
    maxObjectSize: 1e9,
    replayBufferBytes: 0,
    spillDir: '/var/spool/s3o',
    virtualHostSuffix: 's3.example.test',
    backendTimeoutMs: 1500,
    shutdownDelayMs: 2000,
    maxConcurrentRequests: 64,
    maxConcurrentReads: 40,
    maxConcurrentWrites: 20,
    loadShedThreshold: 0.75,
    admissionWaitMs: 50,
    readHeaderTimeoutMs: 3000,
    idleTimeoutMs: 30_000,
    bodyIdleTimeoutMs: 5000,
    requestTimeoutMs: 0,
    minBodyRate: 1000,
    maxInflightWritesPerCredential: 8,
    maxInflightWritesPerIp: 0,
    maxInflightBytesPerCredential: GiB,
    maxInflightBytesPerIp: 2e9,
    maxBufferedBytes: 64 * MiB,
    tls: { certFile: '/etc/s3o/cert.pem', keyFile: '/etc/s3o/key.pem', minVersion: 'TLSv1.3', clientCaFile: '/etc/s3o/ca.pem' },
  });
  assert.deepEqual(config.auth.root, { accessKeyId: 'ROOT', secretAccessKey: 'root-secret' });
  assert.deepEqual(config.buckets, [
    {
      name: 'my.bucket-1',
      maxMultipartUploads: 3,
      credentials: [
        { accessKeyId: 'K1', secretAccessKey: 'S1' },
        { accessKeyId: 'K2', secretAccessKey: 'S2' },
      ],
      cors: [{ allowedOrigins: ['https://*.example.com'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['content-type'], exposeHeaders: ['ETag'], maxAgeSeconds: 600 }],
    },
  ]);
  assert.deepEqual(config.database, {
    driver: 'sqlite',
    path: '/tmp/s3o-test.db',
    host: null,
    port: 6543,
    user: 'u',
    password: 'p',
    name: 'n',
    sslMode: 'disable',
    maxConns: 3,
    minConns: 3, // default min(5, max_conns)
    maxConnLifetimeMs: 90_000,
    statementCacheSize: 0,
  });
  assert.deepEqual(config.backends, [
    {
      name: 'Backend_1.a-b',
      endpoint: 'https://s3.example.test',
      region: 'eu-central-1',
      bucket: 'real',
      accessKeyId: 'AKB',
      secretAccessKey: 'SKB',
      forcePathStyle: false,
      quotaBytes: 10e9,
      maxObjectSize: 100 * MiB,
      apiRequestLimit: 1_000_000,
      egressByteLimit: 10e9,
      ingressByteLimit: 5 * GiB,
      caFile: '/etc/s3o/provider-ca.pem',
    },
  ]);
  assert.equal(config.routingStrategy, 'spread');
  assert.deepEqual(config.bus, {
    driver: 'memory',
    url: 'nats://nats.internal:4222,nats://nats2.internal:4222',
    stream: 'TEST_STREAM',
    subjectPrefix: 't-1_x',
    retentionMs: 3_600_000,
    pruneIntervalMs: 600_000,
    maxDeliver: 2,
    pollIntervalMs: 50,
  });
  assert.deepEqual(config.cleanupQueue, {
    concurrency: 1,
    tickMs: 100,
    batchSize: 2,
    backoffBaseMs: 10,
    backoffMaxMs: 1000,
    maxAttempts: 3,
    multipartStaleTimeoutMs: 7_200_000,
    confirmDelayMs: 0,
  });
  assert.deepEqual(config.writePath.pendingPattern, { reaperTickMs: 200, minAgeMs: 1000, batchSize: 5, heartbeatMs: 250 });
  assert.equal(config.logging.level, 'debug');
  assert.deepEqual(config.circuitBreaker, {
    failureThreshold: 5,
    openTimeoutMs: 2000,
    cacheTtlMs: 0,
    parallelBroadcast: false,
    degradedBroadcastParallelism: 2,
    degradedReadsEnabled: false,
  });
});

test('listen_addr forms: ":port" means all IPv4 interfaces, IPv6 in brackets', () => {
  const read = (listenAddr: string) => {
    const { server } = configAfter((d) => (d.server = { listen_addr: listenAddr })).config;
    return [server.listenAddr, server.host, server.port];
  };
  assert.deepEqual(read(':8080'), [':8080', '0.0.0.0', 8080]);
  assert.deepEqual(read('[::1]:9000'), ['[::1]:9000', '::1', 9000]);
  assert.deepEqual(read('localhost:65535'), ['localhost:65535', 'localhost', 65535]);
});

test('scalars keep the text that was written (no YAML number guessing)', () => {
  const { config } = parseConfig(
    `
buckets:
  - name: "123"
    credentials: [{ access_key_id: 007, secret_access_key: 1e5 }]
backends:
  - { name: "0x10", endpoint: "http://h", bucket: "1.10", access_key_id: true, secret_access_key: .inf }
`,
    {},
  );
  assert.deepEqual(config.buckets[0]!.credentials[0], { accessKeyId: '007', secretAccessKey: '1e5' });
  assert.deepEqual(
    [config.buckets[0]!.name, config.backends[0]!.name, config.backends[0]!.bucket, config.backends[0]!.accessKeyId, config.backends[0]!.secretAccessKey],
    ['123', '0x10', '1.10', 'true', '.inf'],
  );
});

test('YAML anchors and merge keys work, as in upstream', () => {
  const { config } = parseConfig(
    `
x-backend: &defaults
  endpoint: http://127.0.0.1:9001
  access_key_id: k
  secret_access_key: s
buckets:
  - name: photos
    credentials: [{ access_key_id: a, secret_access_key: b }]
backends:
  - <<: *defaults
    name: one
    bucket: first
  - <<: *defaults
    name: two
    bucket: second
`,
    {},
  );
  assert.deepEqual(
    config.backends.map((b) => [b.name, b.endpoint, b.bucket, b.accessKeyId]),
    [
      ['one', 'http://127.0.0.1:9001', 'first', 'k'],
      ['two', 'http://127.0.0.1:9001', 'second', 'k'],
    ],
  );
});

test('database.driver follows database.host when not set, and an explicit driver wins', () => {
  assert.equal(configAfter(() => {}).config.database.driver, 'sqlite');
  const explicit = configAfter((d) => (d.database = { driver: 'sqlite', host: 'pg.internal' })).config.database;
  assert.equal(explicit.driver, 'sqlite');
  assert.equal(explicit.host, 'pg.internal');
});

test('empty sections and empty values read as "use the default"', () => {
  const { config } = parseConfig(
    `
server:
bus:
  url:
logging: {}
buckets:
  - name: photos
    credentials: [{ access_key_id: a, secret_access_key: b }]
backends:
  - { name: b, endpoint: "http://h", bucket: x, access_key_id: k, secret_access_key: s, region: ~ }
`,
    {},
  );
  assert.equal(config.server.port, 9000);
  assert.equal(config.bus.url, 'nats://127.0.0.1:4222');
  assert.equal(config.logging.level, 'info');
  assert.equal(config.backends[0]!.region, 'us-east-1');
});
