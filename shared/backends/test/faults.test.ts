// BackendClient against small local HTTP servers that show what a real S3 server cannot show
// on cue: exactly what went over the wire (and whether its signature verifies), whether a
// request body arrived complete, and servers that refuse, stall, answer early or drop
// connections.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { after, afterEach, describe, it } from 'node:test';
import {
  canonicalQuery,
  canonicalRequest,
  deriveSigningKey,
  sha256Hex,
  signatureHex,
  stringToSign,
} from '@s3o/s3';
import { BackendClient, BackendError, type BackendClientConfig } from '../src/index.js';
import { generatedBody, md5Hex, readAll, startHttpServer } from './helpers.js';

const MiB = 1024 * 1024;
const SECRET = 'test-secret-key';

interface ReceivedRequest {
  method: string;
  /** The request target exactly as received (encoded path + query). */
  url: string;
  headers: http.IncomingHttpHeaders;
  /** Body bytes received before the request ended or was cut off. */
  bytes: number;
  body: Buffer;
  /** Whether the whole declared body arrived. */
  complete: boolean;
  signatureValid: boolean;
}

/**
 * Checks a request's SigV4 Authorization header the way an S3 server does: from the path,
 * query and headers as they arrived, not from what the client meant to send.
 */
function signatureIsValid(req: http.IncomingMessage, secret: string): boolean {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    req.headers.authorization ?? '',
  );
  if (!match) return false;
  const [, , date, region, signedHeaderList, signature] = match;
  const [path, query = ''] = req.url!.split(/\?(.*)/s, 2) as [string, string?];
  const pairs = query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [k, v = ''] = pair.split(/=(.*)/s, 2) as [string, string?];
      return [decodeURIComponent(k), decodeURIComponent(v)] as [string, string];
    });
  const signedHeaders = signedHeaderList!.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = String(req.headers[name] ?? '');
  const canonical = canonicalRequest({
    method: req.method!,
    canonicalUri: path,
    canonicalQuery: canonicalQuery(pairs),
    headers,
    signedHeaders,
    payloadHash: String(req.headers['x-amz-content-sha256']),
  });
  const scope = `${date}/${region}/s3/aws4_request`;
  const expected = signatureHex(
    deriveSigningKey(secret, date!, region!, 's3'),
    stringToSign(String(req.headers['x-amz-date']), scope, canonical),
  );
  return expected === signature;
}

type Responder = (req: ReceivedRequest, res: http.ServerResponse) => void;

/** A server that records every request (body included, complete or not) and answers with `respond`. */
async function startRecordingServer(respond: Responder) {
  const requests: Promise<ReceivedRequest>[] = [];
  const server = await startHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    let ended = false;
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => (ended = true));
    requests.push(
      new Promise((resolve) => {
        const record = (): ReceivedRequest => {
          const body = Buffer.concat(chunks);
          return {
            method: req.method!,
            url: req.url!,
            headers: req.headers,
            bytes: body.length,
            body,
            complete: ended,
            signatureValid: signatureIsValid(req, SECRET),
          };
        };
        req.once('end', () => {
          const received = record();
          resolve(received);
          respond(received, res);
        });
        req.once('close', () => resolve(record()));
      }),
    );
  });
  return { ...server, requests };
}

function clientFor(endpoint: string, overrides: Partial<BackendClientConfig> = {}): BackendClient {
  return new BackendClient({
    name: 'fake',
    endpoint,
    region: 'eu-central-1',
    bucket: 'b1',
    accessKeyId: 'AKIDTEST',
    secretAccessKey: SECRET,
    timeoutMs: 5_000,
    ...overrides,
  });
}

function xmlError(res: http.ServerResponse, status: number, code: string): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'REQ123' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code} happened</Message><RequestId>REQ123</RequestId></Error>`);
}

/** Answers like S3 for the operations the wire tests send. */
const s3Like: Responder = (req, res) => {
  if (req.method === 'PUT') {
    res.writeHead(200, { etag: `"${md5Hex(req.body)}"` });
    res.end();
  } else if (req.method === 'GET') {
    res.writeHead(200, { 'content-length': '2', etag: '"e"' });
    res.end('ok');
  } else if (req.method === 'POST' && req.url.includes('?uploads')) {
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end('<InitiateMultipartUploadResult><UploadId>up/1+2</UploadId></InitiateMultipartUploadResult>');
  } else if (req.method === 'POST') {
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end('<CompleteMultipartUploadResult><ETag>"abc-2"</ETag></CompleteMultipartUploadResult>');
  } else {
    res.writeHead(204);
    res.end();
  }
};

describe('BackendClient on the wire', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  async function setup(respond: Responder, overrides: Partial<BackendClientConfig> = {}) {
    const server = await startRecordingServer(respond);
    const client = clientFor(server.endpoint, overrides);
    cleanups.push(() => server.close(), () => client.close());
    return { server, client };
  }

  it('sends every tricky key once-encoded in the path, with a signature that verifies', async () => {
    const { server, client } = await setup(s3Like);
    const keys: Array<[string, string]> = [
      ['a//b', '/b1/a//b'],
      ['ü ñ 日本', '/b1/%C3%BC%20%C3%B1%20%E6%97%A5%E6%9C%AC'],
      ['a+b c%d', '/b1/a%2Bb%20c%25d'],
      ['q?x#y', '/b1/q%3Fx%23y'],
      ['k'.repeat(1024), `/b1/${'k'.repeat(1024)}`],
    ];
    for (const [key] of keys) {
      await client.putObject(key, Readable.from([Buffer.from('data')]), {
        contentLength: 4,
        metadata: { note: 'ü' },
        headers: { contentDisposition: 'inline' },
      });
    }
    const received = await Promise.all(server.requests);
    assert.deepEqual(
      received.map((r) => r.url),
      keys.map(([, path]) => path),
    );
    for (const r of received) {
      assert.ok(r.signatureValid, `signature of ${r.url}`);
      assert.equal(r.headers['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
      assert.equal(r.headers['content-length'], '4');
      assert.equal(r.headers['x-amz-meta-note'], '=?UTF-8?B?w7w=?=');
      assert.equal(r.headers['content-disposition'], 'inline');
      assert.match(r.headers.authorization!, /Credential=AKIDTEST\/\d{8}\/eu-central-1\/s3\/aws4_request/);
    }
  });

  it('signs queries and small XML bodies; If-Match goes out quoted', async () => {
    const { server, client } = await setup(s3Like);
    const uploadId = await client.createMultipartUpload('mp key');
    assert.equal(uploadId, 'up/1+2');
    await client.uploadPart('mp key', uploadId, 3, Readable.from([Buffer.from('part')]), 4, { contentMd5: 'bWQ1' });
    const { etag } = await client.completeMultipartUpload('mp key', uploadId, [{ partNumber: 3, etag: md5Hex('part') }]);
    assert.equal(etag, 'abc-2');
    const got = await client.getObject('k', { ifMatch: 'abc', range: 'bytes=0-1' });
    await readAll(got.body);

    const [create, part, complete, get] = await Promise.all(server.requests);
    for (const r of [create!, part!, complete!, get!]) assert.ok(r.signatureValid, `signature of ${r.method} ${r.url}`);
    assert.equal(create!.url, '/b1/mp%20key?uploads=');
    assert.equal(part!.url, '/b1/mp%20key?partNumber=3&uploadId=up%2F1%2B2');
    assert.equal(part!.headers['content-md5'], 'bWQ1');
    assert.equal(complete!.url, '/b1/mp%20key?uploadId=up%2F1%2B2');
    assert.equal(complete!.headers['x-amz-content-sha256'], sha256Hex(complete!.body));
    assert.match(complete!.body.toString(), /<Part><PartNumber>3<\/PartNumber><ETag>&#34;[0-9a-f]{32}&#34;<\/ETag><\/Part>/);
    assert.equal(get!.headers['if-match'], '"abc"');
    assert.equal(get!.headers['range'], 'bytes=0-1');
  });

  it('reuses one keep-alive connection for sequential calls', async () => {
    const { server, client } = await setup(s3Like);
    let connections = 0;
    server.server.on('connection', () => connections++);
    for (let i = 0; i < 5; i++) await client.deleteObject(`k${i}`);
    assert.equal(connections, 1);
  });

  it('resends a request without a streamed body when a pooled connection turns out closed', async () => {
    // The server drops the second request on any connection without answering: what a client
    // sees when the server closed an idle keep-alive connection as the request went out.
    let dropped = 0;
    const { server, client } = await setup((req, res) => {
      const socket = res.socket!;
      const served = ((socket as unknown as { served?: number }).served ?? 0) + 1;
      (socket as unknown as { served?: number }).served = served;
      if (served === 2) {
        dropped++;
        socket.destroy();
        return;
      }
      s3Like(req, res);
    });
    await client.deleteObject('first');
    await client.deleteObject('second');
    assert.equal(dropped, 1);
    assert.equal((await Promise.all(server.requests)).length, 3);
  });

  it('decodes url-encoded listings and returns the continuation token', async () => {
    const { server, client } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b1</Name><Prefix>p%2F</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType>
  <IsTruncated>true</IsTruncated><NextContinuationToken>tok/en+==</NextContinuationToken>
  <Contents><Key>p/a+b%2Bc%0D%E2%9C%93</Key><LastModified>2024-05-01T10:00:00.000Z</LastModified><ETag>&quot;0123&quot;</ETag><Size>17</Size></Contents>
  <Contents><Key>p/007</Key><LastModified>2024-05-01T10:00:01.000Z</LastModified><ETag>"4567-3"</ETag><Size>0</Size></Contents>
</ListBucketResult>`);
    });
    const page = await client.listObjects({ prefix: 'p/', maxKeys: 2, continuationToken: 'prev token' });
    assert.deepEqual(page, {
      keys: [
        { key: 'p/a b+c\r✓', size: 17, etag: '0123', lastModified: new Date('2024-05-01T10:00:00.000Z') },
        { key: 'p/007', size: 0, etag: '4567-3', lastModified: new Date('2024-05-01T10:00:01.000Z') },
      ],
      nextToken: 'tok/en+==',
    });
    const [request] = await Promise.all(server.requests);
    assert.equal(request!.url, '/b1?continuation-token=prev%20token&encoding-type=url&list-type=2&max-keys=2&prefix=p%2F');
    assert.ok(request!.signatureValid);
  });

  it('maps error answers to BackendError with code, status, request id and retriable', async () => {
    const answers: Array<[number, string]> = [
      [412, 'PreconditionFailed'],
      [403, 'AccessDenied'],
      [503, 'SlowDown'],
      [400, 'RequestTimeout'],
    ];
    let next = 0;
    const { client } = await setup((_req, res) => {
      const [status, code] = answers[next++]!;
      xmlError(res, status, code);
    });
    const expectations = [
      { status: 412, code: 'PreconditionFailed', retriable: false },
      { status: 403, code: 'AccessDenied', retriable: false },
      { status: 503, code: 'SlowDown', retriable: true },
      { status: 400, code: 'RequestTimeout', retriable: true },
    ];
    for (const expected of expectations) {
      await assert.rejects(client.getObject('k', { ifMatch: 'x' }), (err: unknown) => {
        assert.ok(err instanceof BackendError);
        assert.equal(err.status, expected.status);
        assert.equal(err.code, expected.code);
        assert.equal(err.retriable, expected.retriable);
        assert.equal(err.requestId, 'REQ123');
        assert.equal(err.backend, 'fake');
        assert.equal(err.operation, 'GetObject');
        return true;
      });
    }
  });

  it('treats a 200 that carries an <Error> body as a failure', async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      // S3 answers 200 at once and reports a late failure in the body.
      res.write('<?xml version="1.0" encoding="UTF-8"?>\n   ');
      res.end('<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>');
    });
    await assert.rejects(client.completeMultipartUpload('k', 'u', [{ partNumber: 1, etag: 'e' }]), {
      name: 'BackendError',
      code: 'InternalError',
      retriable: true,
    });
    await assert.rejects(client.copyObject('a', 'b'), { code: 'InternalError' });
  });

  it('abortMultipartUpload: 404 NoSuchUpload counts as done, 501 is BackendUnsupportedError', async () => {
    let status = 404;
    const { client } = await setup((_req, res) => xmlError(res, status, status === 404 ? 'NoSuchUpload' : 'NotImplemented'));
    await client.abortMultipartUpload('k', 'u');
    status = 501;
    await assert.rejects(client.abortMultipartUpload('k', 'u'), { name: 'BackendUnsupportedError', status: 501, retriable: false });
  });
});

describe('BackendClient when things go wrong', () => {
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  async function setup(respond: Responder, overrides: Partial<BackendClientConfig> = {}) {
    const server = await startRecordingServer(respond);
    const client = clientFor(server.endpoint, overrides);
    cleanups.push(() => server.close(), () => client.close());
    return { server, client };
  }

  it('a closed port is a retriable network error with status 0', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const client = clientFor(`http://127.0.0.1:${port}`);
    cleanups.push(() => client.close());
    await assert.rejects(client.headObject('k'), (err: unknown) => {
      assert.ok(err instanceof BackendError);
      assert.equal(err.status, 0);
      assert.equal(err.code, 'ECONNREFUSED');
      assert.equal(err.retriable, true);
      assert.equal(err.operation, 'HeadObject');
      return true;
    });
  });

  it('a server that never answers times out as a retriable BackendTimeout', async () => {
    const silent = await startHttpServer(() => {
      /* never answers */
    });
    cleanups.push(() => silent.close());
    const client = clientFor(silent.endpoint, { timeoutMs: 300 });
    cleanups.push(() => client.close());
    await assert.rejects(client.getObject('k'), { name: 'BackendError', code: 'BackendTimeout', status: 0, retriable: true });
  });

  it('a response body that stalls fails the body stream with BackendTimeout', async () => {
    const stalling = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('first bytes');
    });
    cleanups.push(() => stalling.close());
    const client = clientFor(stalling.endpoint, { timeoutMs: 300 });
    cleanups.push(() => client.close());
    const got = await client.getObject('k');
    await assert.rejects(readAll(got.body), { code: 'BackendTimeout' });
  });

  // These bodies are fed by hand, so each test can wait until the server has seen the
  // request before the body fails: what arrives is then an incomplete request, not nothing.

  it('a body error mid-put destroys the request before the body is complete', async () => {
    const { server, client } = await setup(s3Like);
    const bodyError = new Error('BadDigest');
    const body = new PassThrough();
    const seen = once(server.server, 'request');
    const put = client.putObject('k', body, { contentLength: 4 * MiB });
    body.write(Buffer.alloc(MiB));
    await seen;
    body.destroy(bodyError);
    await assert.rejects(put, (err) => err === bodyError);
    const [received] = await Promise.all(server.requests);
    assert.equal(received!.complete, false);
    assert.ok(received!.bytes <= MiB);
  });

  it('aborting mid-put destroys the request before the body is complete', async () => {
    const { server, client } = await setup(s3Like);
    const controller = new AbortController();
    const body = new PassThrough();
    const seen = once(server.server, 'request');
    const put = client.putObject('k', body, { contentLength: 4 * MiB, signal: controller.signal });
    body.write(Buffer.alloc(MiB));
    await seen;
    controller.abort();
    await assert.rejects(put, { name: 'AbortError' });
    assert.ok(body.destroyed);
    const [received] = await Promise.all(server.requests);
    assert.equal(received!.complete, false);
    assert.ok(received!.bytes <= MiB);
  });

  it('an already aborted signal sends nothing', async () => {
    const { server, client } = await setup(s3Like);
    const body = generatedBody(MiB);
    await assert.rejects(client.putObject('k', body.stream, { contentLength: MiB, signal: AbortSignal.abort() }), {
      name: 'AbortError',
    });
    assert.equal(server.requests.length, 0);
    assert.ok(body.stream.destroyed);
  });

  for (const [name, extra, message] of [
    ['shorter', 0, /ended after 100 of 200 bytes/],
    ['longer', 150, /longer than its declared length/],
  ] as const) {
    it(`a body ${name} than its declared length is never sent complete`, async () => {
      const { server, client } = await setup(s3Like);
      const body = new PassThrough();
      const seen = once(server.server, 'request');
      const put = client.putObject('k', body, { contentLength: 200 });
      body.write(Buffer.alloc(100));
      await seen;
      if (extra) body.write(Buffer.alloc(extra));
      body.end();
      await assert.rejects(put, message);
      const [received] = await Promise.all(server.requests);
      assert.equal(received!.complete, false);
      assert.ok(received!.bytes <= 200);
    });
  }

  it('an early error answer stops the upload, and the body is pulled only as fast as it is sent', async () => {
    // The server reads 1 MiB, then refuses. If the client buffered bodies instead of streaming
    // them, it would have pulled all 256 MiB from the source by then.
    const declared = 256 * MiB;
    const refusing = await startHttpServer((req, res) => {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= MiB && !res.headersSent) {
          req.pause();
          xmlError(res, 400, 'EntityTooLarge');
        }
      });
    });
    cleanups.push(() => refusing.close());
    const client = clientFor(refusing.endpoint);
    cleanups.push(() => client.close());
    const body = generatedBody(declared);
    await assert.rejects(client.putObject('k', body.stream, { contentLength: declared }), {
      code: 'EntityTooLarge',
      status: 400,
    });
    assert.ok(body.stream.destroyed);
    assert.ok(body.produced() < 64 * MiB, `pulled ${body.produced()} bytes`);
  });

  it('close() fails calls that are still running', async () => {
    const silent = await startHttpServer(() => {
      /* never answers */
    });
    cleanups.push(() => silent.close());
    const client = clientFor(silent.endpoint);
    const pending = client.headObject('k');
    await once(silent.server, 'request');
    client.close();
    await assert.rejects(pending, { status: 0, retriable: true });
  });
});
