// TLS on the S3 port (server.tls.*) and towards backends (backends[].ca_file), with
// certificates made in the test by the openssl CLI: HTTPS with a minimum version, a
// certificate swapped on SIGHUP without dropping open connections, mutual TLS, and a backend
// client that verifies its provider's certificate against the configured CA.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { BackendClient } from '@s3o/backends';
import { silentLogger } from '@s3o/telemetry';
import { reloadTlsOnSighup } from '../src/index.js';
import { startHardenedWorld, type HardenedWorld } from './support/hardened-world.js';

const dir = mkdtempSync(join(tmpdir(), 's3o-tls-'));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A CA, and certificates it signs for 127.0.0.1 (`serial` tells them apart). */
function makeCertificates(): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=s3o test CA');
  const sign = (name: string, serial: string, subject: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    require_ext(name, ext);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial, '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  sign('server-a', '0x0A', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth');
  sign('server-b', '0x0B', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth');
  sign('client', '0x0C', '/CN=s3o client', 'extendedKeyUsage=clientAuth');
}

function require_ext(name: string, ext: string): void {
  execFileSync('sh', ['-c', `printf '%s\\n' "$1" > "$2"`, 'sh', ext, join(dir, `${name}.ext`)]);
}

interface Answer {
  status: number;
  serial: string;
  socket: TLSSocket;
}

function get(url: string, options: https.RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${url}/health`, { ca: readFileSync(file('ca.pem')), ...options }, (res) => {
      const socket = res.socket as TLSSocket;
      const serial = socket.getPeerCertificate().serialNumber;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, serial, socket }));
    });
    req.on('error', reject);
  });
}

before(() => makeCertificates());
after(() => rmSync(dir, { recursive: true, force: true }));

describe('HTTPS on the S3 port', () => {
  let world: HardenedWorld;
  before(async () => {
    copyFileSync(file('server-a.pem'), file('live.pem'));
    copyFileSync(file('server-a.key'), file('live.key'));
    world = await startHardenedWorld({
      overrides: { server: { listen_addr: '127.0.0.1:0', tls: { cert_file: file('live.pem'), key_file: file('live.key'), min_version: '1.3' } } },
    });
  });
  after(() => world?.close());

  test('serves HTTPS with the configured certificate, and refuses TLS below min_version', async () => {
    assert.match(world.url, /^https:\/\//);
    const answer = await get(world.url, { agent: false });
    assert.equal(answer.status, 200);
    assert.equal(answer.serial, '0A');
    await assert.rejects(get(world.url, { agent: false, maxVersion: 'TLSv1.2' }));
  });

  test('SIGHUP swaps the certificate for new connections; an open connection keeps working', async () => {
    const stop = reloadTlsOnSighup(world.gateway, world.config, silentLogger());
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(world.url, { agent });
      assert.equal(first.serial, '0A');
      copyFileSync(file('server-b.pem'), file('live.pem'));
      copyFileSync(file('server-b.key'), file('live.key'));
      process.kill(process.pid, 'SIGHUP');
      // The signal is handled on a later turn of the event loop: poll new connections until they see B.
      let fresh = await get(world.url, { agent: false });
      for (let i = 0; i < 200 && fresh.serial !== '0B'; i++) {
        await new Promise((r) => setTimeout(r, 25));
        fresh = await get(world.url, { agent: false });
      }
      assert.equal(fresh.serial, '0B', 'a new connection gets the new certificate');
      const again = await get(world.url, { agent });
      assert.equal(again.socket, first.socket, 'the keep-alive connection was reused, not dropped');
      assert.equal(again.status, 200);
      assert.equal(again.serial, '0A');
    } finally {
      agent.destroy();
      stop();
    }
  });
});

describe('mutual TLS', () => {
  let world: HardenedWorld;
  before(async () => {
    world = await startHardenedWorld({
      overrides: { server: { listen_addr: '127.0.0.1:0', tls: { cert_file: file('server-a.pem'), key_file: file('server-a.key'), client_ca_file: file('ca.pem') } } },
    });
  });
  after(() => world?.close());

  test('a client without a certificate from client_ca_file gets no connection; one with it is served', async () => {
    await assert.rejects(get(world.url, { agent: false }));
    const answer = await get(world.url, { agent: false, cert: readFileSync(file('client.pem')), key: readFileSync(file('client.key')) });
    assert.equal(answer.status, 200);
  });
});

describe('backend certificates', () => {
  let server: https.Server;
  let endpoint: string;
  before(async () => {
    server = https.createServer({ cert: readFileSync(file('server-a.pem')), key: readFileSync(file('server-a.key')) }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef"', 'content-length': 0 }).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server?.close());

  const put = (client: BackendClient) => client.putObject('k', Readable.from([Buffer.from('abc')]), { contentLength: 3 });
  const backend = { name: 'tls', endpoint, region: 'us-east-1', bucket: 'b', accessKeyId: 'k', secretAccessKey: 's', timeoutMs: 5_000 };

  test('a provider certificate from a private CA is refused without ca_file and accepted with it', async () => {
    const plain = new BackendClient({ ...backend, endpoint });
    await assert.rejects(put(plain), /certificate|self.signed|UNABLE_TO_VERIFY/i);
    plain.close();
    const trusting = new BackendClient({ ...backend, endpoint, caFile: file('ca.pem') });
    assert.deepEqual(await put(trusting), { etag: '0123456789abcdef0123456789abcdef' });
    trusting.close();
  });
});
