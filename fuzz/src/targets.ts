// One fuzz target per parser of client input. Each turns the fuzzer's bytes into that
// parser's input and checks what must hold for ANY input: the parser either accepts, or
// refuses with an S3Error (AWS's answer to the client) — any other exception is a bug that
// would surface as a 500 — and where the parser has an inverse, the round trip holds.
import { Readable } from 'node:stream';
import {
  AwsChunkedDecoder, S3Error, deriveSigningKey, parseCompleteMultipartUpload, parseDeleteObjects, parseQuery, readXmlStream,
  verifySigV4, escapeXml, parseXml, DELETE_OBJECTS_XML_LIMITS,
} from '@s3o/s3';
import { keyOfStoragePath, storagePathOf } from '@s3o/store';
import { checkConditions, ifRangeHolds, parseRange } from '../../services/gateway/src/read/conditions.js';
import type { FuzzTarget } from './engine.js';

/** Runs `work`; an S3Error is the expected refusal, anything else is a finding. */
async function refusalsOnly(work: () => unknown): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof S3Error) return;
    throw err;
  }
}

const S3_SRC = ['/shared/s3/src/'];

const xmlDictionary = [
  '<Delete>', '</Delete>', '<Object>', '</Object>', '<Key>', '</Key>', '<Quiet>true</Quiet>', '<VersionId>', '</VersionId>',
  '<CompleteMultipartUpload>', '</CompleteMultipartUpload>', '<Part>', '</Part>', '<PartNumber>', '</PartNumber>', '<ETag>',
  '</ETag>', '<ChecksumCRC32>', '&amp;', '&lt;', '&#x41;', '&#65;', '&#0;', '&#xD800;', '&bogus;', '<![CDATA[', ']]>', '<!--',
  '-->', '<?xml version="1.0"?>', '<!DOCTYPE a>', ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"', ' a="b"', '/>', '<x:Key>',
  '</x:Key>', '\uFEFF', '\r\n', '__proto__',
];

/** Splits `data` into pieces at points taken from its own bytes, so streaming boundaries vary too. */
function pieces(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  let i = 0;
  while (pos < data.length) {
    const step = 1 + ((data[i++ % data.length] ?? 1) % 97);
    out.push(data.subarray(pos, pos + step));
    pos += step;
  }
  return out;
}

const xmlDelete: FuzzTarget = {
  name: 'xml-delete',
  describe: 'DeleteObjects bodies: the bounded XML reader whole and in pieces, then the request reader',
  coverage: S3_SRC,
  dictionary: xmlDictionary,
  seeds: ['<Delete><Object><Key>a</Key></Object><Quiet>true</Quiet></Delete>', '<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>x&amp;y</Key><VersionId>1</VersionId></Object></Delete>'],
  async run(data) {
    let whole: unknown = null;
    await refusalsOnly(() => (whole = parseDeleteObjects(data.toString('utf8'))));
    let streamed: unknown = null;
    await refusalsOnly(async () => (streamed = parseDeleteObjects(await readXmlStream(Readable.from(pieces(data)), DELETE_OBJECTS_XML_LIMITS))));
    // The same bytes read whole or in pieces: the same answer (both refuse, or both read the same keys).
    // (Limits differ only in element count, which the seeds stay far below.)
    if (whole !== null && streamed !== null && JSON.stringify(whole) !== JSON.stringify(streamed)) {
      throw new Error(`whole and streamed reads differ: ${JSON.stringify(whole)} vs ${JSON.stringify(streamed)}`);
    }
  },
};

const xmlComplete: FuzzTarget = {
  name: 'xml-complete',
  describe: 'CompleteMultipartUpload bodies',
  coverage: S3_SRC,
  dictionary: xmlDictionary,
  seeds: ['<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>x</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>'],
  run: (data) => refusalsOnly(() => parseCompleteMultipartUpload(data.toString('utf8'))),
};

const xmlEscape: FuzzTarget = {
  name: 'xml-escape',
  describe: 'list encoding: any key escaped for a listing reads back as the same key',
  coverage: S3_SRC,
  dictionary: ['&', '<', '>', '"', "'", '\r', '\n', '\u0001', '\uFFFE', '😀', ']]>'],
  seeds: ['photos/a b&c<d>.jpg', 'a\r\nb'],
  run(data) {
    const key = data.toString('utf8').replace(/\u0000/g, '');
    if (key.includes('\uFFFD')) return; // not valid UTF-8 as sent: a key is never that (URL decoding refuses it)
    const read = parseXml(`<Key>${escapeXml(key)}</Key>`).Key;
    if (read !== key) throw new Error(`escaped key reads back as ${JSON.stringify(read)}, not ${JSON.stringify(key)}`);
  },
};

/** A signed aws-chunked decoder over a fixed key, fed the fuzzer's bytes as the body. */
const SIGNING_KEY = deriveSigningKey('fuzz-secret', '20260101', 'us-east-1', 's3');
const awsChunked: FuzzTarget = {
  name: 'aws-chunked',
  describe: 'aws-chunked framing and trailers (unsigned-trailer and signed decoders), in pieces',
  coverage: S3_SRC,
  dictionary: ['\r\n', ';chunk-signature=', '0\r\n', '2000\r\n', 'x-amz-checksum-crc32:', 'x-amz-trailer-signature:', 'AAAAAA==', 'ffffffff', '\n'],
  seeds: ['3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n', `3;chunk-signature=${'0'.repeat(64)}\r\nabc\r\n0;chunk-signature=${'0'.repeat(64)}\r\n\r\n`],
  async run(data) {
    const decoders = [
      new AwsChunkedDecoder({ decodedLength: 3, trailer: 'unsigned', trailerChecksum: 'crc32' }),
      new AwsChunkedDecoder({ decodedLength: data.length, trailer: 'none' }),
      new AwsChunkedDecoder({
        decodedLength: 3, trailer: 'signed',
        signing: { seedSignature: '0'.repeat(64), signingKey: SIGNING_KEY, amzDate: '20260101T000000Z', scope: '20260101/us-east-1/s3/aws4_request' },
      }),
    ];
    for (const decoder of decoders) {
      await refusalsOnly(async () => {
        for await (const _ of Readable.from(pieces(data)).pipe(decoder)) void _;
      });
    }
  },
};

/** Input lines: method, path, query, then `name: value` headers. */
function requestOf(data: Buffer) {
  const lines = data.toString('latin1').split('\n');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(3)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method: lines[0] ?? 'GET', rawPath: lines[1] ?? '/', rawQuery: lines[2] === undefined || lines[2] === '' ? undefined : lines[2], headers };
}

const NOW = new Date('2026-01-01T00:00:10Z');
const secretOf = (id: string) => (id === 'AKFUZZ' ? 'fuzz-secret' : undefined);

const sigv4: FuzzTarget = {
  name: 'sigv4',
  describe: 'SigV4 header authentication: Authorization parsing, canonical request, payload modes',
  coverage: S3_SRC,
  dictionary: ['AWS4-HMAC-SHA256 ', 'Credential=AKFUZZ/20260101/us-east-1/s3/aws4_request', ', SignedHeaders=', 'host;x-amz-content-sha256;x-amz-date', ', Signature=', '20260101T000000Z', 'UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', '%2F', '%', '+', '&', '=', '\n'],
  seeds: ['PUT\n/photos/a%20b\nx=1&y\nhost: s3.test\nx-amz-date: 20260101T000000Z\nx-amz-content-sha256: UNSIGNED-PAYLOAD\nauthorization: AWS4-HMAC-SHA256 Credential=AKFUZZ/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=' + '0'.repeat(64)],
  run: (data) => refusalsOnly(() => verifySigV4(requestOf(data), secretOf, NOW)),
};

const presign: FuzzTarget = {
  name: 'presign',
  describe: 'presigned URLs: query decoding and X-Amz-* parameters',
  coverage: S3_SRC,
  dictionary: ['X-Amz-Algorithm=AWS4-HMAC-SHA256', '&X-Amz-Credential=AKFUZZ%2F20260101%2Fus-east-1%2Fs3%2Faws4_request', '&X-Amz-Date=20260101T000000Z', '&X-Amz-Expires=300', '&X-Amz-SignedHeaders=host', '&X-Amz-Signature=', '&x-amz-meta-a=', '%', '%E6%97%A5', '+', '&', '='],
  seeds: ['GET\n/photos/k\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKFUZZ%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=' + '0'.repeat(64) + '\nhost: s3.test'],
  async run(data) {
    await refusalsOnly(() => verifySigV4(requestOf(data), secretOf, NOW));
    await refusalsOnly(() => parseQuery(requestOf(data).rawQuery));
  },
};

const GATEWAY_READ = ['/services/gateway/src/read/'];
const rangeConditions: FuzzTarget = {
  name: 'range',
  describe: 'Range, If-Range and conditional headers against an object of some size',
  coverage: GATEWAY_READ,
  dictionary: ['bytes=', '-', ',', '"abc"', 'W/"abc"', '*', 'Thu, 01 Jan 2026 00:00:00 GMT', '\n', '0', '18446744073709551616'],
  seeds: ['bytes=0-9\n100\n"abc"\nThu, 01 Jan 2026 00:00:00 GMT', 'bytes=-5\n3\n*\n'],
  async run(data) {
    const [range = '', sizeText = '0', etagHeader = '', date = ''] = data.toString('latin1').split('\n');
    // An object's size is never negative (the ledger's own rule); the first findings of this target were such sizes.
    const size = Math.min(Math.abs(Number.parseInt(sizeText, 10) || 0), Number.MAX_SAFE_INTEGER);
    await refusalsOnly(() => {
      const r = parseRange(range, size);
      if (r !== null && !(r.start >= 0 && r.start <= r.end && r.end < size)) throw new Error(`range ${JSON.stringify(range)} of ${size} gave ${JSON.stringify(r)}`);
    });
    await refusalsOnly(() => checkConditions({ ifMatch: etagHeader, ifNoneMatch: etagHeader, ifModifiedSince: date, ifUnmodifiedSince: date }, 'abc', 1_767_225_600_000));
    await refusalsOnly(() => ifRangeHolds(etagHeader || date, 'abc', 1_767_225_600_000));
  },
};

const storageKey: FuzzTarget = {
  name: 'storage-key',
  describe: 'storage paths of client keys: reversible, no empty, "." or ".." segment, no backslash',
  coverage: ['/shared/store/src/storage-key'],
  dictionary: ['/', '.', '..', '%', '%2F', '%2E', '%25', '%5C', '\\', '//'],
  seeds: ['x/../../other/y', '/a//b/./c%2F'],
  run(data) {
    const key = data.toString('utf8');
    const path = storagePathOf(key);
    if (keyOfStoragePath(path) !== key) throw new Error(`${JSON.stringify(key)} → ${JSON.stringify(path)} does not map back`);
    for (const segment of `b/${path}!ID`.split('/')) {
      if (segment === '' || segment === '.' || segment === '..' || segment.includes('\\')) throw new Error(`${JSON.stringify(key)} → ${JSON.stringify(path)} has segment ${JSON.stringify(segment)}`);
    }
  },
};

export const TARGETS: readonly FuzzTarget[] = [xmlDelete, xmlComplete, xmlEscape, awsChunked, sigv4, presign, rangeConditions, storageKey];
