// Property-based tests (fast-check) of the parsers of client input: for generated inputs,
// what AWS's own signer and presigner produce verifies (and a changed byte does not), query
// strings decode to what was encoded, aws-chunked bodies decode to their data however the
// bytes are split, XML bodies read back the keys written into them whole or in pieces, and a
// key escaped for a listing reads back as itself. Budget and seed: scripts/lib/property-runs.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import type { HttpRequest } from '@smithy/types';
import {
  AwsChunkedDecoder, S3Error, cachedSigningKeyCount, credentialScope, deriveSigningKey, escapeXml, parseCompleteMultipartUpload, parseDeleteObjects, parseQuery, parseXml, readXmlStream,
  uriEncode, verifySigV4, type IncomingRequestParts,
} from '../src/index.js';
import { AK, NodeSha256, SECRET, awsSigner, encodeAwsChunked, encodeKeyPath, lookup } from './helpers.js';
import { propertyRuns } from '../../../scripts/lib/property-runs.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Keys as clients send them: any Unicode but NUL, with the characters that matter here. */
const key = fc.array(fc.oneof(fc.constantFrom('/', '//', '.', '..', '%', '+', ' ', '&', '=', '?', '#', '~', '*', "'", '😀', 'é'), fc.string({ unit: 'grapheme', maxLength: 5 })), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join('').replace(/\u0000/g, ''))
  .filter((k) => k.length > 0);
const queryPairs = fc.array(fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 10 })), { maxLength: 5 })
  .map((pairs) => pairs.filter(([k]) => !k.startsWith('X-Amz-') && !/[\u0000]/.test(k)));

function request(k: string, query: Array<[string, string]>, headers: Record<string, string> = {}): HttpRequest {
  return {
    method: 'PUT', protocol: 'http:', hostname: 'gateway.test', port: 9000, path: '/bucket/' + encodeKeyPath(k),
    query: Object.fromEntries(query), headers: { host: 'gateway.test:9000', 'x-amz-content-sha256': EMPTY_SHA, ...headers },
  };
}

function wire(query: Record<string, unknown> | undefined): string | undefined {
  const entries = Object.entries(query ?? {});
  return entries.length === 0 ? undefined : entries.map(([k, v]) => `${uriEncode(k)}=${uriEncode(String(v ?? ''))}`).join('&');
}

function incoming(req: HttpRequest): IncomingRequestParts {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  return { method: req.method, rawPath: req.path, rawQuery: wire(req.query as Record<string, unknown>), headers };
}

test('SigV4: whatever AWS SignatureV4 signs verifies; a changed path or query does not', async () => {
  await fc.assert(
    fc.asyncProperty(key, queryPairs, fc.string({ unit: 'grapheme-ascii', maxLength: 20 }), async (k, query, meta) => {
      // Unique names: a repeated name is a separate case (the SDK keeps only one).
      const unique = [...new Map(query).entries()];
      const signed = await awsSigner().sign(request(k, unique, { 'x-amz-meta-note': meta.trim() }), { signingDate: NOW });
      const parts = incoming(signed as HttpRequest);
      assert.equal(verifySigV4(parts, lookup, NOW).accessKeyId, AK);
      const tampered = { ...parts, rawPath: parts.rawPath + 'x' };
      assert.throws(() => verifySigV4(tampered, lookup, NOW), (err) => err instanceof S3Error && err.code === 'SignatureDoesNotMatch');
    }),
    propertyRuns({ numRuns: Math.min(100, propertyRuns().numRuns ?? 100) }),
  );
});

test('presigned URLs: whatever the S3 presigner signs verifies and carries its x-amz-meta-* as headers', async () => {
  const presigner = new S3RequestPresigner({ credentials: { accessKeyId: AK, secretAccessKey: SECRET }, region: 'eu-west-3', sha256: NodeSha256 });
  await fc.assert(
    fc.asyncProperty(key, fc.string({ unit: 'grapheme', maxLength: 12 }), fc.integer({ min: 1, max: 604800 }), async (k, note, expiresIn) => {
      const unsigned = request(k, [], { 'x-amz-meta-note': note });
      delete unsigned.headers['x-amz-content-sha256'];
      const req = (await presigner.presign(unsigned, { expiresIn, signingDate: NOW, hoistableHeaders: new Set(['x-amz-meta-note']) })) as HttpRequest;
      const { 'x-amz-meta-note': _hoisted, ...headers } = incoming(req).headers;
      const parts = { ...incoming(req), headers };
      const verified = verifySigV4(parts, lookup, NOW);
      assert.equal(verified.authType, 'presigned');
      assert.equal(verified.queryHeaders['x-amz-meta-note'], note);
    }),
    propertyRuns({ numRuns: Math.min(100, propertyRuns().numRuns ?? 100) }),
  );
});

test('query strings decode to the pairs that were encoded, in order', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 6 }), (pairs) => {
      const nonEmpty = pairs.filter(([k]) => k !== '');
      const raw = nonEmpty.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
      assert.deepEqual(parseQuery(raw), nonEmpty);
    }),
    propertyRuns(),
  );
});

/** Splits a buffer at the given cut points (any order, any repeats). */
function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(data.subarray(from, p));
    from = p;
  }
  out.push(data.subarray(from));
  return out.filter((b) => b.length > 0);
}

async function decode(decoder: AwsChunkedDecoder, pieces: Buffer[]): Promise<{ output: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of Readable.from(pieces).pipe(decoder)) chunks.push(c as Buffer);
    return { output: Buffer.concat(chunks), error: undefined };
  } catch (error) {
    return { output: Buffer.concat(chunks), error };
  }
}

const chunkSizes = fc.array(fc.integer({ min: 8192, max: 20_000 }), { maxLength: 3 }).chain((full) => fc.integer({ min: 1, max: 9000 }).map((last) => [...full, last]));

test('aws-chunked: signed bodies with trailers decode to their data however the bytes arrive; a flipped byte never passes', async () => {
  const date = '20260301';
  const signer = { signingKey: deriveSigningKey(SECRET, date, 'us-east-1', 's3'), amzDate: '20260301T120000Z', scope: credentialScope(date, 'us-east-1', 's3'), seedSignature: 'a'.repeat(64) };
  await fc.assert(
    fc.asyncProperty(chunkSizes, fc.array(fc.nat(), { maxLength: 8 }), fc.constantFrom('crc32', 'crc32c', 'sha1', 'sha256', 'crc64nvme' as const), fc.nat(), async (sizes, cuts, algorithm, flip) => {
      const chunks = sizes.map((n) => randomBytes(n));
      const data = Buffer.concat(chunks);
      const { body } = encodeAwsChunked(chunks, { signer, trailerChecksum: algorithm, signTrailer: true });
      const options = { decodedLength: data.length, trailer: 'signed' as const, trailerChecksum: algorithm, signing: signer };
      const good = await decode(new AwsChunkedDecoder(options), splitAt(body, cuts));
      assert.equal(good.error, undefined);
      assert.ok(good.output.equals(data));
      const bad = Buffer.from(body);
      const at = flip % bad.length;
      bad[at] = bad[at]! ^ 0x01;
      const refused = await decode(new AwsChunkedDecoder(options), splitAt(bad, cuts));
      assert.ok(refused.error instanceof S3Error, `flipping byte ${at} gave ${String(refused.error)}`);
      // Nothing of a failed body is passed on as if whole: at most the verified chunks before the fault.
      assert.ok(refused.output.length < data.length);
    }),
    propertyRuns({ numRuns: Math.min(60, propertyRuns().numRuns ?? 60) }),
  );
});

const xmlKey = key.filter((k) => !/[\uFFFE\uFFFF]/.test(k));

test('DeleteObjects bodies read back the keys written into them, whole or in any pieces', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(xmlKey, { minLength: 1, maxLength: 20 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 10 }), async (keys, quiet, cuts) => {
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join('') + `<Quiet>${quiet}</Quiet></Delete>`;
      const expected = { quiet, keys: keys.map((k) => ({ key: k })) };
      assert.deepEqual(parseDeleteObjects(xml), expected);
      const streamed = await readXmlStream(Readable.from(splitAt(Buffer.from(xml), cuts)));
      assert.deepEqual(parseDeleteObjects(streamed), expected);
    }),
    propertyRuns(),
  );
});

test('CompleteMultipartUpload bodies read back their parts; out-of-order part numbers are InvalidPartOrder', () => {
  const part = fc.record({ gap: fc.integer({ min: 1, max: 50 }), etag: fc.stringMatching(/^[0-9a-f]{32}$/), quoted: fc.boolean() });
  fc.assert(
    fc.property(fc.array(part, { minLength: 1, maxLength: 30 }), (parts) => {
      let n = 0;
      const numbered = parts.map((p) => ({ ...p, partNumber: (n += p.gap) })).filter((p) => p.partNumber <= 10000);
      const xml = `<CompleteMultipartUpload>${numbered.map((p) => `<Part><ETag>${p.quoted ? '&quot;' : ''}${p.etag}${p.quoted ? '&quot;' : ''}</ETag><PartNumber>${p.partNumber}</PartNumber></Part>`).join('')}</CompleteMultipartUpload>`;
      assert.deepEqual(parseCompleteMultipartUpload(xml), numbered.map((p) => ({ partNumber: p.partNumber, etag: p.etag })));
      if (numbered.length >= 2) {
        const swapped = xml.replace(`<PartNumber>${numbered[0]!.partNumber}</PartNumber>`, `<PartNumber>${numbered[1]!.partNumber}</PartNumber>`);
        assert.throws(() => parseCompleteMultipartUpload(swapped), (err) => err instanceof S3Error && err.code === 'InvalidPartOrder');
      }
    }),
    propertyRuns(),
  );
});

test('list encoding: a key escaped for a listing reads back as itself; url encoding decodes back', () => {
  fc.assert(
    fc.property(xmlKey, (k) => {
      assert.equal(parseXml(`<Key>${escapeXml(k)}</Key>`).Key, k);
      const url = encodeURIComponent(k).replace(/%20/g, '+').replace(/%2F/g, '/');
      assert.equal(decodeURIComponent(url.replace(/\+/g, ' ')), k);
      assert.ok(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f<>]/.test(escapeXml(k)), 'nothing raw that XML 1.0 cannot carry');
    }),
    propertyRuns(),
  );
});

test('the signing-key cache stays bounded whatever regions and access keys requests name', async () => {
  for (let i = 0; i < 2000; i++) {
    const parts = incoming(await awsSigner(`region-${i}`, SECRET, i % 2 === 0 ? AK : `AK-UNKNOWN-${i}`).sign(request('k', []), { signingDate: NOW }) as HttpRequest);
    try {
      verifySigV4(parts, lookup, NOW);
    } catch {
      // unknown keys are refused; their (decoy) signing keys must not pile up either
    }
  }
  assert.ok(cachedSigningKeyCount() <= 256, `${cachedSigningKeyCount()} signing keys cached`);
});
