import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import {
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { S3RequestPresigner, getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { HttpRequest } from '@smithy/types';
import { S3Error, errorXml } from '../src/errors.js';
import {
  amzDateOf,
  canonicalRequest,
  credentialScope,
  deriveSigningKey,
  signatureHex,
  stringToSign,
} from '../src/sigv4-core.js';
import {
  canonicalUriOf,
  parseQuery,
  verifySigV4,
  type IncomingRequestParts,
  type VerifiedRequest,
} from '../src/sigv4-verify.js';
import { AK, NodeSha256, SECRET, awsSigner, encodeKeyPath, lookup, s3ClientFor, splitUrl, startServer } from './helpers.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HOST = 'gateway.test:9000';

const AWKWARD_KEYS = [
  'plain.txt',
  'a b/c d',
  'a//b///c',
  'ünï/日本語/😀.txt',
  'a+b=c&d',
  '100% sure',
  'x~y_z-w.v',
  "it's (1)*!.txt",
  'dir/./x/../y',
  'semi;colon,comma@at$dollar:colon',
  'tab\there',
  'trailing/',
  '/leading',
];

/** Builds the query string the way the SDK puts it on the wire. */
function wireQuery(query: Record<string, string | null>): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return Object.entries(query)
    .map(([k, v]) => (v === null ? enc(k) : `${enc(k)}=${enc(v)}`))
    .join('&');
}

interface SignInput {
  method?: string;
  key?: string;
  query?: Record<string, string | null>;
  headers?: Record<string, string>;
  region?: string;
  secret?: string;
  accessKeyId?: string;
  date?: Date;
}

function baseRequest(input: SignInput): HttpRequest {
  return {
    method: input.method ?? 'GET',
    protocol: 'http:',
    hostname: 'gateway.test',
    port: 9000,
    path: '/bucket/' + encodeKeyPath(input.key ?? 'k'),
    query: Object.fromEntries(Object.entries(input.query ?? {}).map(([k, v]) => [k, v ?? ''])), // the SDK signs a value-less parameter as ''
    headers: { host: HOST, 'x-amz-content-sha256': EMPTY_SHA, ...input.headers },
  };
}

function toIncoming(req: HttpRequest, query: Record<string, string | null> | string | undefined): IncomingRequestParts {
  const headers: http.IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  const rawQuery = typeof query === 'string' ? query : query && Object.keys(query).length > 0 ? wireQuery(query) : undefined;
  return { method: req.method, rawPath: req.path, rawQuery, headers };
}

/** A request signed by AWS's SignatureV4, as the gateway would receive it. */
async function signed(input: SignInput = {}): Promise<IncomingRequestParts> {
  const signer = awsSigner(input.region, input.secret, input.accessKeyId);
  const req = await signer.sign(baseRequest(input), { signingDate: input.date ?? NOW });
  return toIncoming(req as HttpRequest, input.query);
}

function expectS3Error(fn: () => unknown, code: string, message?: RegExp): S3Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof S3Error, `expected S3Error ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

test('requests signed by AWS SignatureV4 verify, whatever the key', async () => {
  for (const key of AWKWARD_KEYS) {
    const result = verifySigV4(await signed({ key }), lookup, NOW);
    assert.equal(result.accessKeyId, AK);
    assert.equal(result.region, 'us-east-1');
    assert.equal(result.authType, 'header');
    assert.deepEqual(result.payload, { mode: 'sha256', hash: EMPTY_SHA });
  }
});

test('query strings verify with special characters and value-less parameters', async () => {
  const queries: Array<Record<string, string | null>> = [
    { 'list-type': '2', prefix: 'a b+c&d=e/é', delimiter: '/', 'continuation-token': '1+2/3==' },
    { uploads: null },
    { partNumber: '3', uploadId: 'VXBsb2FkIElE+/=' },
    { 'response-content-disposition': 'attachment; filename="x y+z.txt"', marker: '100%' },
  ];
  for (const query of queries) {
    verifySigV4(await signed({ query }), lookup, NOW);
  }
});

test('any region is accepted and reported', async () => {
  const result = verifySigV4(await signed({ region: 'ap-southeast-2' }), lookup, NOW);
  assert.equal(result.region, 'ap-southeast-2');
});

test('tampering with what was signed gives SignatureDoesNotMatch', async () => {
  const good = await signed({ method: 'PUT', key: 'a b', query: { tagging: null }, headers: { 'x-amz-meta-color': 'blue', 'content-type': 'text/plain' } });
  verifySigV4(good, lookup, NOW);
  const variants: Array<[string, IncomingRequestParts]> = [
    ['method', { ...good, method: 'POST' }],
    ['path', { ...good, rawPath: '/bucket/a%20c' }],
    ['bucket', { ...good, rawPath: '/other/a%20b' }],
    ['query', { ...good, rawQuery: 'tagging=x' }],
    ['extra query', { ...good, rawQuery: 'tagging&versionId=1' }],
    ['signed header', { ...good, headers: { ...good.headers, 'x-amz-meta-color': 'red' } }],
    ['content-type', { ...good, headers: { ...good.headers, 'content-type': 'text/html' } }],
    ['host', { ...good, headers: { ...good.headers, host: 'evil.test' } }],
    ['payload hash', { ...good, headers: { ...good.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }],
  ];
  for (const [what, req] of variants) {
    const err = expectS3Error(() => verifySigV4(req, lookup, NOW), 'SignatureDoesNotMatch');
    assert.equal(err.status, 403, what);
    assert.equal(err.extra?.AWSAccessKeyId, AK);
    assert.ok(err.extra?.CanonicalRequest?.startsWith(req.method + '\n'), 'the canonical request is reported for debugging');
  }
  expectS3Error(() => verifySigV4(good, () => 'not-the-secret', NOW), 'SignatureDoesNotMatch');
});

test('the path is not normalised: "a/./b" and "a/b" are different keys', async () => {
  const dotted = await signed({ key: 'a/./b' });
  verifySigV4(dotted, lookup, NOW);
  expectS3Error(() => verifySigV4({ ...dotted, rawPath: '/bucket/a/b' }, lookup, NOW), 'SignatureDoesNotMatch');
});

test('the signature covers the key, not its spelling on the wire', async () => {
  // Signed over the canonical encoding; sent with lower-case hex, "~" escaped and "!" bare.
  const req = await signed({ key: 'ü~x!' });
  assert.equal(req.rawPath, '/bucket/%C3%BC~x%21');
  verifySigV4({ ...req, rawPath: '/bucket/%c3%bc%7Ex!' }, lookup, NOW);
});

test('an unknown access key is InvalidAccessKeyId', async () => {
  const req = await signed({ accessKeyId: 'AKIDUNKNOWN', secret: 'whatever' });
  const err = expectS3Error(() => verifySigV4(req, lookup, NOW), 'InvalidAccessKeyId');
  assert.equal(err.status, 403);
  assert.equal(err.extra?.AWSAccessKeyId, 'AKIDUNKNOWN');
});

test('clock skew beyond 15 minutes is RequestTimeTooSkewed', async () => {
  const minutes = (m: number) => new Date(NOW.getTime() + m * 60_000);
  verifySigV4(await signed({ date: minutes(14) }), lookup, NOW);
  verifySigV4(await signed({ date: minutes(-14) }), lookup, NOW);
  for (const m of [16, -16, 24 * 60]) {
    const req = await signed({ date: minutes(m) });
    const err = expectS3Error(() => verifySigV4(req, lookup, NOW), 'RequestTimeTooSkewed');
    assert.equal(err.extra?.MaxAllowedSkewMilliseconds, '900000');
  }
});

test('the credential date must be the date of x-amz-date', async () => {
  const req = await signed();
  const auth = (req.headers.authorization as string).replace('/20260301/', '/20260228/');
  expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, authorization: auth } }, lookup, NOW), 'AuthorizationHeaderMalformed', /credential date/);
});

test('missing or malformed dates are AccessDenied', async () => {
  const req = await signed();
  const { 'x-amz-date': _dropped, ...noDate } = req.headers;
  expectS3Error(() => verifySigV4({ ...req, headers: noDate }, lookup, NOW), 'AccessDenied', /valid Date or x-amz-date/);
  expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-date': '20261301T000000Z' } }, lookup, NOW), 'AccessDenied');
  expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-date': '2026-03-01T12:00:00Z' } }, lookup, NOW), 'AccessDenied');
});

test('a request dated by the Date header (no x-amz-date) verifies', () => {
  // SignatureV4 always sends x-amz-date, so this one is signed by hand from the spec.
  const date = 'Sun, 01 Mar 2026 12:00:00 GMT';
  const headers = { host: HOST, date, 'x-amz-content-sha256': EMPTY_SHA };
  const signedHeaders = ['date', 'host', 'x-amz-content-sha256'];
  const scope = credentialScope('20260301', 'us-east-1', 's3');
  const canonical = canonicalRequest({ method: 'GET', canonicalUri: '/bucket/k', canonicalQuery: '', headers, signedHeaders, payloadHash: EMPTY_SHA });
  const sig = signatureHex(deriveSigningKey(SECRET, '20260301', 'us-east-1', 's3'), stringToSign(amzDateOf(new Date(date)), scope, canonical));
  const authorization = `AWS4-HMAC-SHA256 Credential=${AK}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${sig}`;
  const req = { method: 'GET', rawPath: '/bucket/k', rawQuery: undefined, headers: { ...headers, authorization } };
  assert.equal(verifySigV4(req, lookup, NOW).accessKeyId, AK);
  expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, date: 'Sun, 01 Mar 2026 12:00:01 GMT' } }, lookup, NOW), 'SignatureDoesNotMatch');
});

test('host and every x-amz-* header sent must be signed', async () => {
  const noHost = await awsSigner().sign({ ...baseRequest({}), headers: { 'x-amz-content-sha256': EMPTY_SHA } }, { signingDate: NOW });
  const req = toIncoming(noHost as HttpRequest, undefined);
  const err = expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, host: HOST } }, lookup, NOW), 'AccessDenied');
  assert.equal(err.extra?.HeadersNotSigned, 'host');
  const good = await signed();
  const extra = expectS3Error(() => verifySigV4({ ...good, headers: { ...good.headers, 'x-amz-meta-sneaky': '1' } }, lookup, NOW), 'AccessDenied');
  assert.equal(extra.extra?.HeadersNotSigned, 'x-amz-meta-sneaky');
});

test('x-amz-content-sha256 is required and must be a known value', async () => {
  const req = await signed();
  const { 'x-amz-content-sha256': _dropped, ...without } = req.headers;
  expectS3Error(() => verifySigV4({ ...req, headers: without }, lookup, NOW), 'InvalidRequest', /x-amz-content-sha256/);
  const unsignedHash = await awsSigner().sign(baseRequest({}), { signingDate: NOW, unsignableHeaders: new Set(['x-amz-content-sha256']) });
  expectS3Error(() => verifySigV4(toIncoming(unsignedHash as HttpRequest, undefined), lookup, NOW), 'InvalidRequest', /must be included in signature/);
  const err = expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-content-sha256': 'abc' } }, lookup, NOW), 'InvalidArgument');
  assert.equal(err.extra?.ArgumentName, 'x-amz-content-sha256');
});

test('payload modes follow x-amz-content-sha256', async () => {
  const modeOf = async (value: string) => verifySigV4(await signed({ method: 'PUT', headers: { 'x-amz-content-sha256': value } }), lookup, NOW).payload;
  assert.deepEqual(await modeOf('UNSIGNED-PAYLOAD'), { mode: 'unsigned' });
  assert.deepEqual(await modeOf('STREAMING-UNSIGNED-PAYLOAD-TRAILER'), { mode: 'streaming-unsigned-trailer' });
  const hash = 'a'.repeat(64);
  assert.deepEqual(await modeOf(hash), { mode: 'sha256', hash });
  for (const [value, trailer] of [['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', false], ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', true]] as const) {
    const req = await signed({ method: 'PUT', headers: { 'x-amz-content-sha256': value } });
    const payload = verifySigV4(req, lookup, NOW).payload;
    assert.equal(payload.mode, 'streaming-signed');
    if (payload.mode !== 'streaming-signed') return;
    assert.equal(payload.seedSignature, /Signature=([0-9a-f]{64})/.exec(req.headers.authorization as string)![1]);
    assert.deepEqual(payload.signingKey, deriveSigningKey(SECRET, '20260301', 'us-east-1', 's3'));
    assert.equal(payload.amzDate, '20260301T120000Z');
    assert.equal(payload.scope, '20260301/us-east-1/s3/aws4_request');
    assert.equal(payload.trailer, trailer);
  }
});

test('no credentials at all is AccessDenied; other schemes are refused clearly', async () => {
  const anon = { method: 'GET', rawPath: '/bucket/k', rawQuery: undefined, headers: { host: HOST } };
  const err = expectS3Error(() => verifySigV4(anon, lookup, NOW), 'AccessDenied');
  assert.equal(err.status, 403);
  expectS3Error(() => verifySigV4({ ...anon, headers: { host: HOST, authorization: 'AWS AKID:c2lnbmF0dXJl' } }, lookup, NOW), 'InvalidRequest', /AWS4-HMAC-SHA256/);
  expectS3Error(() => verifySigV4({ ...anon, rawQuery: 'AWSAccessKeyId=AKID&Expires=1&Signature=x' }, lookup, NOW), 'InvalidRequest');
  const good = await signed();
  expectS3Error(() => verifySigV4({ ...good, rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256' }, lookup, NOW), 'InvalidArgument', /Only one auth mechanism/);
});

test('malformed Authorization headers are AuthorizationHeaderMalformed', async () => {
  const good = await signed();
  const auth = good.headers.authorization as string;
  const withAuth = (authorization: string) => ({ ...good, headers: { ...good.headers, authorization } });
  for (const bad of [
    auth.replace(/, Signature=[0-9a-f]+/, ''),
    auth.replace('Credential=', 'Cred='),
    auth.replace('/s3/', '/ec2/'),
    auth.replace('aws4_request', 'aws5_request'),
    auth.replace(`${AK}/20260301`, `${AK}/2026-03-01`),
    auth.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256'),
    auth.replace('SignedHeaders=host', 'SignedHeaders=Host'),
  ]) {
    expectS3Error(() => verifySigV4(withAuth(bad), lookup, NOW), 'AuthorizationHeaderMalformed');
  }
  expectS3Error(() => verifySigV4(withAuth(auth.replace(/Signature=[0-9a-f]{4}/, 'Signature=0000')), lookup, NOW), 'SignatureDoesNotMatch');
  expectS3Error(() => verifySigV4(withAuth(auth + 'ff'), lookup, NOW), 'SignatureDoesNotMatch');
});

test('undecodable paths and queries are InvalidURI', async () => {
  const good = await signed();
  expectS3Error(() => verifySigV4({ ...good, rawPath: '/bucket/%ZZ' }, lookup, NOW), 'InvalidURI');
  expectS3Error(() => verifySigV4({ ...good, rawPath: '/bucket/%C3' }, lookup, NOW), 'InvalidURI');
  expectS3Error(() => verifySigV4({ ...good, rawQuery: 'prefix=%E2%82' }, lookup, NOW), 'InvalidURI');
});

test('parseQuery and canonicalUriOf: one decoding for signature and gateway', () => {
  assert.deepEqual(parseQuery('a=1&b&c=x%20y+z&&d=%2B'), [['a', '1'], ['b', ''], ['c', 'x y+z'], ['d', '+']]);
  assert.deepEqual(parseQuery(undefined), []);
  assert.equal(canonicalUriOf('/b/a%20b/c+d//%C3%BC~!'), '/b/a%20b/c%2Bd//%C3%BC~%21');
});

// ---- presigned URLs ----

async function presigned(input: SignInput & { expiresIn?: number } = {}): Promise<IncomingRequestParts> {
  const presigner = new S3RequestPresigner({
    credentials: { accessKeyId: input.accessKeyId ?? AK, secretAccessKey: input.secret ?? SECRET },
    region: 'eu-west-3',
    sha256: NodeSha256,
  });
  const unsignedBody = baseRequest(input);
  // The presigner fixes the payload as UNSIGNED-PAYLOAD itself; a body hash header would be hoisted twice.
  delete unsignedBody.headers['x-amz-content-sha256'];
  const req = (await presigner.presign(unsignedBody, { expiresIn: input.expiresIn ?? 3600, signingDate: input.date ?? NOW })) as HttpRequest;
  const rawQuery = Object.entries(req.query ?? {})
    .map(([k, v]) => (v === null ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`))
    .join('&');
  const { authorization: _none, 'x-amz-content-sha256': _hoisted, ...headers } = toIncoming(req, undefined).headers;
  return { method: req.method, rawPath: req.path, rawQuery, headers };
}

test('presigned URLs from the S3 presigner verify', async () => {
  for (const key of AWKWARD_KEYS) {
    const result = verifySigV4(await presigned({ key, query: { 'response-content-type': 'text/plain; charset=utf-8' } }), lookup, NOW);
    assert.equal(result.authType, 'presigned');
    assert.equal(result.region, 'eu-west-3');
    assert.deepEqual(result.payload, { mode: 'unsigned' });
  }
});

test('presigned x-amz-* headers are hoisted into the query and reported', async () => {
  const req = await presigned({ method: 'PUT', headers: { 'x-amz-meta-color': 'blue', 'x-amz-acl': 'private' } });
  assert.ok(req.rawQuery!.includes('x-amz-meta-color=blue'));
  const result = verifySigV4(req, lookup, NOW);
  assert.deepEqual(result.queryHeaders, { 'x-amz-meta-color': 'blue', 'x-amz-acl': 'private' });
  expectS3Error(() => verifySigV4({ ...req, rawQuery: req.rawQuery!.replace('color=blue', 'color=red') }, lookup, NOW), 'SignatureDoesNotMatch');
  expectS3Error(() => verifySigV4({ ...req, headers: { ...req.headers, 'x-amz-meta-size': '1' } }, lookup, NOW), 'AccessDenied');
});

test('presigned expiry: valid until the end, then "Request has expired"', async () => {
  const req = await presigned({ expiresIn: 600 });
  verifySigV4(req, lookup, new Date(NOW.getTime() + 600_000));
  const err = expectS3Error(() => verifySigV4(req, lookup, new Date(NOW.getTime() + 601_000)), 'AccessDenied', /^Request has expired$/);
  assert.equal(err.extra?.['X-Amz-Expires'], '600');
  expectS3Error(() => verifySigV4(req, lookup, new Date(NOW.getTime() - 16 * 60_000)), 'AccessDenied', /not valid yet/);
});

test('a negative X-Amz-Expires is an expired URL: AccessDenied "Request has expired"', async () => {
  const req = await presigned({ expiresIn: 600 });
  const negative = { ...req, rawQuery: req.rawQuery!.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=-5') };
  const err = expectS3Error(() => verifySigV4(negative, lookup, NOW), 'AccessDenied', /^Request has expired$/);
  assert.equal(err.extra?.['X-Amz-Expires'], '-5');
});

test('presigned parameter errors are AuthorizationQueryParametersError', async () => {
  const req = await presigned();
  const q = req.rawQuery!;
  for (const [bad, why] of [
    [q.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604801'), /less than a week/],
    [q.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=soon'), /number/],
    [q.replace(/&?X-Amz-Signature=[0-9a-f]+/, ''), /requires/],
    [q.replace(/&?X-Amz-Date=[0-9TZ]+/, ''), /requires/],
    [q.replace('X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Algorithm=AWS4-HMAC-SHA512'), /only supports/],
    [q.replace(/X-Amz-Date=\d{8}/, 'X-Amz-Date=20260302'), /credential date/],
    [q.replace(/X-Amz-Date=[0-9TZ]+/, 'X-Amz-Date=yesterday'), /ISO8601/],
    [q.replace('%2Fs3%2F', '%2Fiam%2F'), /incorrect service/],
  ] as const) {
    expectS3Error(() => verifySigV4({ ...req, rawQuery: bad }, lookup, NOW), 'AuthorizationQueryParametersError', why);
  }
  expectS3Error(() => verifySigV4({ ...req, rawQuery: q.replace(/X-Amz-Signature=[0-9a-f]{2}/, 'X-Amz-Signature=00') }, lookup, NOW), 'SignatureDoesNotMatch');
  expectS3Error(() => verifySigV4({ ...req, method: 'DELETE' }, lookup, NOW), 'SignatureDoesNotMatch');
  const unknown = await presigned({ accessKeyId: 'nobody' });
  expectS3Error(() => verifySigV4(unknown, lookup, NOW), 'InvalidAccessKeyId');
});

// ---- the real S3 client against a loopback server that verifies every request ----

test('every request of the real S3 client verifies, presigned URLs too', async (t) => {
  const results: Array<VerifiedRequest & { method: string; url: string }> = [];
  const server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      try {
        const result = verifySigV4({ method: req.method!, ...splitUrl(req.url!), headers: req.headers }, lookup);
        results.push({ ...result, method: req.method!, url: req.url! });
      } catch (err) {
        res.statusCode = err instanceof S3Error ? err.status : 500;
        res.end(err instanceof S3Error ? errorXml(err, 'test') : String(err));
        return;
      }
      res.setHeader('ETag', '"d41d8cd98f00b204e9800998ecf8427e"');
      res.setHeader('content-type', 'application/xml');
      const q = splitUrl(req.url!).rawQuery ?? '';
      if (q.includes('list-type')) res.end('<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>');
      else if (q.includes('uploads')) res.end('<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>');
      else if (q.includes('delete')) res.end('<DeleteResult></DeleteResult>');
      else res.end();
    });
  });
  t.after(() => server.close());
  const client = s3ClientFor(server.url, { region: 'ap-southeast-2' });
  t.after(() => client.destroy());

  for (const Key of AWKWARD_KEYS) {
    await client.send(new PutObjectCommand({ Bucket: 'b', Key, Body: 'hello' }));
    await client.send(new PutObjectCommand({ Bucket: 'b', Key, Body: Readable.from([Buffer.from('hel'), Buffer.from('lo')]), ContentLength: 5 }));
    await client.send(new HeadObjectCommand({ Bucket: 'b', Key }));
    const got = await client.send(new GetObjectCommand({ Bucket: 'b', Key, Range: 'bytes=0-1' }));
    await got.Body?.transformToByteArray();
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'b', Key, ResponseContentDisposition: 'attachment; filename="a b+c.txt"' }), { expiresIn: 60 });
    // Request the path verbatim: WHATWG URL parsing would resolve the "./" and "../" of a key.
    const path = url.slice(server.url.length);
    const status = await new Promise<number>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port: server.port, path }, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject),
    );
    assert.equal(status, 200, `presigned GET of ${JSON.stringify(Key)}`);
  }
  await client.send(new ListObjectsV2Command({ Bucket: 'b', Prefix: 'a b+c&d=é', Delimiter: '/', StartAfter: '100%', ContinuationToken: 'x+y/z==' }));
  await client.send(new DeleteObjectsCommand({ Bucket: 'b', Delete: { Objects: [{ Key: 'a' }, { Key: 'b c' }] } }));
  await client.send(new CreateMultipartUploadCommand({ Bucket: 'b', Key: 'm p', Metadata: { color: 'blue' } }));
  await client.send(new UploadPartCommand({ Bucket: 'b', Key: 'm p', UploadId: 'u+/=', PartNumber: 2, Body: Buffer.alloc(1000, 1) }));

  assert.equal(results.length, AWKWARD_KEYS.length * 5 + 4);
  assert.ok(results.every((r) => r.accessKeyId === AK && r.region === 'ap-southeast-2'));
  const modes = new Set(results.map((r) => `${r.authType}:${r.payload.mode}`));
  assert.deepEqual([...modes].sort(), ['header:sha256', 'header:streaming-unsigned-trailer', 'presigned:unsigned']);
});
