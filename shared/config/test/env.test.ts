import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../src/index.js';
import { problemsOf } from './fixtures.js';

// A valid configuration whose secrets and numbers come from the environment.
const TEXT = `
server:
  listen_addr: "\${HOST:-127.0.0.1}:\${PORT}"
  max_object_size: \${MAX_SIZE:-1GiB}
buckets:
  - name: \${BUCKET_NAME}
    credentials:
      - access_key_id: photos-app
        secret_access_key: \${PHOTOS_SECRET}
backends:
  - name: b1
    endpoint: http://127.0.0.1:9001
    bucket: real
    access_key_id: \${B1_KEY}
    secret_access_key: "\${B1_SECRET}"
    force_path_style: \${PATH_STYLE:-true}
`;

/** TEXT with backends[0].secret_access_key written as `raw` (a function replacement: no `$` patterns). */
function withB1Secret(raw: string): string {
  return TEXT.replace('"${B1_SECRET}"', () => `'${raw}'`);
}

const ENV = { PORT: '9100', BUCKET_NAME: 'photos', PHOTOS_SECRET: 'p-secret', B1_KEY: 'k1', B1_SECRET: 's1' };

test('${VAR} and ${VAR:-default} are expanded inside values, and typed by their key', () => {
  const { config } = parseConfig(TEXT, { ...ENV, PATH_STYLE: 'false' });
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.server.port, 9100);
  assert.equal(config.server.maxObjectSize, 2 ** 30);
  assert.equal(config.buckets[0]!.name, 'photos');
  assert.equal(config.buckets[0]!.credentials[0]!.secretAccessKey, 'p-secret');
  assert.equal(config.backends[0]!.accessKeyId, 'k1');
  assert.equal(config.backends[0]!.secretAccessKey, 's1');
  assert.equal(config.backends[0]!.forcePathStyle, false);
});

test('a default also replaces a variable that is set but empty', () => {
  const { config } = parseConfig(TEXT, { ...ENV, HOST: '', MAX_SIZE: '' });
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.server.maxObjectSize, 2 ** 30);
});

test('a variable cannot change the structure of the file', () => {
  const secret = 'a: b\n- c # not a comment ${NOT_EXPANDED_AGAIN}';
  const { config } = parseConfig(TEXT, { ...ENV, PHOTOS_SECRET: secret });
  assert.equal(config.buckets[0]!.credentials[0]!.secretAccessKey, secret);
});

test('an unset variable without default names the key and the variable, and nothing else is reported for that key', () => {
  const env: Record<string, string> = { ...ENV };
  delete env.PHOTOS_SECRET;
  delete env.BUCKET_NAME;
  assert.deepEqual(problemsOf(TEXT, env), [
    'buckets[0].name: environment variable "BUCKET_NAME" is not set',
    'buckets[0].credentials[0].secret_access_key: environment variable "PHOTOS_SECRET" is not set',
  ]);
});

test('every unset variable of one value is reported', () => {
  assert.deepEqual(problemsOf(TEXT, { ...ENV, PORT: undefined }), [
    'server.listen_addr: environment variable "PORT" is not set',
  ]);
  const text = TEXT.replace('"${HOST:-127.0.0.1}:${PORT}"', () => '"${LISTEN_HOST}:${LISTEN_PORT}"');
  assert.deepEqual(problemsOf(text, ENV), [
    'server.listen_addr: environment variable "LISTEN_HOST" is not set',
    'server.listen_addr: environment variable "LISTEN_PORT" is not set',
  ]);
});

test('$${ writes a literal ${; malformed references are errors', () => {
  const literal = parseConfig(withB1Secret('pa$${not-a-var}ss'), ENV);
  assert.equal(literal.config.backends[0]!.secretAccessKey, 'pa${not-a-var}ss');
  assert.deepEqual(problemsOf(withB1Secret('x${1BAD}'), ENV), [
    'backends[0].secret_access_key: invalid variable reference "${1BAD}"',
  ]);
  assert.deepEqual(problemsOf(withB1Secret('x${OPEN'), ENV), [
    'backends[0].secret_access_key: unterminated "${" (write "$${" for a literal "${")',
  ]);
});

test('a lone $ and $VAR without braces are left alone', () => {
  const { config } = parseConfig(withB1Secret('pa$$w$ord$B1_KEY'), ENV);
  assert.equal(config.backends[0]!.secretAccessKey, 'pa$$w$ord$B1_KEY');
});

test('parseConfig reads process.env by default', () => {
  const names = Object.keys(ENV);
  const saved = names.map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, ENV);
  try {
    assert.equal(parseConfig(TEXT).config.backends[0]!.secretAccessKey, 's1');
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});
