// SigV4 signing and addressing, checked against the worked examples in AWS's S3 documentation
// ("Signature Calculations for the Authorization Header: Transferring Payload in a Single
// Chunk"), and the encoded paths of keys that are easy to get wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Addressing } from '../src/addressing.js';
import { RequestSigner } from '../src/signer.js';

const EXAMPLE_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const EXAMPLE_TIME = new Date('2013-05-24T00:00:00Z');
const EMPTY_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function signatureOf(authorization: string | undefined): string {
  const match = /Signature=([0-9a-f]{64})$/.exec(authorization ?? '');
  assert.ok(match, `no signature in ${authorization}`);
  return match[1]!;
}

describe('RequestSigner (AWS documentation examples)', () => {
  const signer = new RequestSigner(EXAMPLE_KEY_ID, EXAMPLE_SECRET, 'us-east-1');

  it('GET Object with a Range header', () => {
    const headers: Record<string, string> = { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' };
    signer.sign({ method: 'GET', canonicalUri: '/test.txt', canonicalQuery: '', headers, payloadHash: EMPTY_HASH }, EXAMPLE_TIME);
    assert.equal(headers['x-amz-date'], '20130524T000000Z');
    assert.equal(headers['x-amz-content-sha256'], EMPTY_HASH);
    assert.equal(
      headers['authorization'],
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('PUT Object with a "$" in the key and a signed payload', () => {
    const headers: Record<string, string> = {
      host: 'examplebucket.s3.amazonaws.com',
      date: 'Fri, 24 May 2013 00:00:00 GMT',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    };
    const address = new Addressing('https://s3.amazonaws.com', 'examplebucket', false);
    const canonicalUri = address.objectPath('test$file.text');
    assert.equal(canonicalUri, '/test%24file.text');
    signer.sign(
      {
        method: 'PUT',
        canonicalUri,
        canonicalQuery: '',
        headers,
        payloadHash: '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
      },
      EXAMPLE_TIME,
    );
    assert.match(headers['authorization']!, /SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,/);
    assert.equal(signatureOf(headers['authorization']), '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  it('GET Bucket (list objects) with a query string', () => {
    const headers: Record<string, string> = { host: 'examplebucket.s3.amazonaws.com' };
    signer.sign(
      { method: 'GET', canonicalUri: '/', canonicalQuery: 'max-keys=2&prefix=J', headers, payloadHash: EMPTY_HASH },
      EXAMPLE_TIME,
    );
    assert.equal(signatureOf(headers['authorization']), '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  it('leaves headers that proxies may rewrite out of the signature', () => {
    const headers: Record<string, string> = { host: 'h', 'user-agent': 'x', 'cache-control': 'no-cache', 'content-md5': 'abc' };
    signer.sign({ method: 'PUT', canonicalUri: '/b/k', canonicalQuery: '', headers, payloadHash: 'UNSIGNED-PAYLOAD' });
    assert.match(headers['authorization']!, /SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date,/);
  });
});

describe('Addressing', () => {
  it('path style: bucket in the path, Host is the endpoint, default port omitted', () => {
    const a = new Addressing('https://s3.eu-west-1.example.com', 'my-bucket', true);
    assert.equal(a.hostname, 's3.eu-west-1.example.com');
    assert.equal(a.hostHeader, 's3.eu-west-1.example.com');
    assert.equal(a.port, 443);
    assert.equal(a.bucketPath(), '/my-bucket');
    assert.equal(a.objectPath('k'), '/my-bucket/k');
  });

  it('virtual-host style: bucket in the host name, port kept in Host', () => {
    const a = new Addressing('http://minio.local:9000', 'b1', false);
    assert.equal(a.hostname, 'b1.minio.local');
    assert.equal(a.hostHeader, 'b1.minio.local:9000');
    assert.equal(a.port, 9000);
    assert.equal(a.bucketPath(), '/');
    assert.equal(a.objectPath('dir/file.txt'), '/dir/file.txt');
  });

  it('keeps an endpoint base path', () => {
    const a = new Addressing('http://127.0.0.1:8080/s3/', 'b1', true);
    assert.equal(a.objectPath('k'), '/s3/b1/k');
  });

  it('encodes every key byte that is not unreserved, once, keeping "/" (and "//")', () => {
    const a = new Addressing('http://127.0.0.1:1', 'b1', true);
    assert.equal(a.objectPath('a//b'), '/b1/a//b');
    assert.equal(a.objectPath('a+b c%d'), '/b1/a%2Bb%20c%25d');
    assert.equal(a.objectPath('q?x#y&z=1'), '/b1/q%3Fx%23y%26z%3D1');
    assert.equal(a.objectPath('ü ñ 日本'), '/b1/%C3%BC%20%C3%B1%20%E6%97%A5%E6%9C%AC');
    assert.equal(a.objectPath('/lead/trail/'), '/b1//lead/trail/');
    assert.equal(a.objectPath('~._-AZaz09'), '/b1/~._-AZaz09');
    assert.equal(a.copySource('a+b c'), '/b1/a%2Bb%20c');
  });

  it('refuses empty keys and non-HTTP endpoints', () => {
    const a = new Addressing('http://127.0.0.1:1', 'b1', true);
    assert.throws(() => a.objectPath(''), TypeError);
    assert.throws(() => new Addressing('ftp://x', 'b1', true), TypeError);
  });
});
