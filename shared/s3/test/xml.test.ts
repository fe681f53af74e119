import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompleteMultipartUploadCommand,
  DeleteObjectsCommand,
} from '@aws-sdk/client-s3';
import { element, escapeXml, textElement, xmlDocument, S3_XMLNS } from '../src/xml.js';
import { parseCompleteMultipartUpload, parseDeleteObjects, parseXml } from '../src/xml-parse.js';
import { S3Error } from '../src/errors.js';
import { s3ClientFor, startRecorder } from './helpers.js';

function assertS3Error(fn: () => unknown, code: string): S3Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof S3Error, `expected S3Error ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  return caught;
}

const AWKWARD_KEYS = [
  ' leading and trailing ',
  '0123',
  'true',
  'a&b<c>d"e\'f',
  'line\r\nbreak\ttab',
  'ctrl\u0001char',
  'ünï/日本語/😀',
  '&amp; literally',
  ']]> and <![CDATA[',
];

test('escapeXml escapes markup, quotes, CR and control characters; leaves plain text alone', () => {
  const plain = 'photos/2024/a b-c_d.jpg';
  assert.equal(escapeXml(plain), plain);
  assert.equal(escapeXml('a&b<c>d"e\'f'), 'a&amp;b&lt;c&gt;d&quot;e&apos;f');
  assert.equal(escapeXml('x\ry\u0001'), 'x&#xD;y&#x1;');
  assert.equal(escapeXml('tab\tnl\n'), 'tab\tnl\n');
});

test('builders produce an S3 document; optional elements vanish', () => {
  const xml = xmlDocument(
    'ListBucketResult',
    textElement('Name', 'b') + textElement('Prefix', undefined) + textElement('MaxKeys', 1000) + textElement('IsTruncated', false) +
      element('Contents', textElement('Key', 'a<b')),
  );
  assert.equal(
    xml,
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${S3_XMLNS}"><Name>b</Name><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>a&lt;b</Key></Contents></ListBucketResult>`,
  );
  assert.equal(xmlDocument('Error', '', null), '<?xml version="1.0" encoding="UTF-8"?>\n<Error></Error>');
});

test('what we build parses back to the same strings, whatever the key', () => {
  const xml = xmlDocument('ListBucketResult', AWKWARD_KEYS.map((k) => element('Contents', textElement('Key', k))).join(''));
  const parsed = parseXml(xml).ListBucketResult as { Contents: Array<{ Key: string }> };
  assert.deepEqual(parsed.Contents.map((c) => c.Key), AWKWARD_KEYS);
});

test('repeated S3 elements are arrays even when single', () => {
  const doc = parseXml('<ListBucketResult><Contents><Key>k</Key></Contents><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListBucketResult>');
  const r = doc.ListBucketResult as Record<string, unknown>;
  assert.ok(Array.isArray(r.Contents));
  assert.ok(Array.isArray(r.CommonPrefixes));
  const del = parseXml('<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code></Error></DeleteResult>');
  const d = del.DeleteResult as Record<string, unknown>;
  assert.ok(Array.isArray(d.Deleted) && Array.isArray(d.Error));
  assert.ok(!Array.isArray(parseXml('<Error><Code>x</Code></Error>').Error), 'a root Error stays an object');
});

test('CDATA is literal text; comments are ignored', () => {
  const doc = parseXml('<Delete><Object><Key>a<![CDATA[&amp;<x>]]>b<!-- <![CDATA[ no ]]> --></Key></Object></Delete>');
  assert.equal(((doc.Delete as Record<string, unknown>).Object as Array<{ Key: string }>)[0]!.Key, 'a&amp;<x>b');
});

test('garbage, DTDs and unknown entities are MalformedXML', () => {
  for (const bad of [
    '',
    'not xml',
    '<a><b></a>',
    '<a>1</a><b>2</b>',
    '<!DOCTYPE a [<!ENTITY x "yyyy">]><a>&x;</a>',
    '<a>&x;</a>',
    '<a>&#0;</a>',
    '<a>AT&T</a>',
    '<__proto__><polluted>1</polluted></__proto__>',
  ]) {
    assertS3Error(() => parseXml(bad), 'MalformedXML');
  }
  assert.equal(parseXml('<a>&#x41;&#66;&lt;</a>').a, 'AB<');
});

test('parseCompleteMultipartUpload: parts, quotes stripped, checksums kept', () => {
  const parts = parseCompleteMultipartUpload(
    `<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUpload xmlns="${S3_XMLNS}">
  <Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>
  <Part><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag><PartNumber> 3 </PartNumber></Part>
  <Part><PartNumber>10000</PartNumber><ETag>acbd18db4cc2f85cedef654fccc4a4d8</ETag></Part>
</CompleteMultipartUpload>`,
  );
  assert.deepEqual(parts, [
    { partNumber: 1, etag: 'a54357aff0632cce46d942af68356b38', checksums: { crc32: 'AAAAAA==' } },
    { partNumber: 3, etag: '0c78aef83f66abc1fa1e8477f296d394' },
    { partNumber: 10000, etag: 'acbd18db4cc2f85cedef654fccc4a4d8' },
  ]);
});

test('parseCompleteMultipartUpload rejects wrong shapes with AWS codes', () => {
  const wrap = (inner: string) => `<CompleteMultipartUpload>${inner}</CompleteMultipartUpload>`;
  const part = (n: string, etag = '"e"') => `<Part><PartNumber>${n}</PartNumber><ETag>${etag}</ETag></Part>`;
  assertS3Error(() => parseCompleteMultipartUpload('<CompleteMultipartUpload/>'), 'MalformedXML');
  assertS3Error(() => parseCompleteMultipartUpload(wrap('')), 'MalformedXML');
  assertS3Error(() => parseCompleteMultipartUpload('<Other>' + part('1') + '</Other>'), 'MalformedXML');
  assertS3Error(() => parseCompleteMultipartUpload(wrap(part('one'))), 'MalformedXML');
  assertS3Error(() => parseCompleteMultipartUpload(wrap(part('1.5'))), 'MalformedXML');
  assertS3Error(() => parseCompleteMultipartUpload(wrap('<Part><PartNumber>1</PartNumber></Part>')), 'MalformedXML');
  assertS3Error(() => parseCompleteMultipartUpload(wrap('<Part><PartNumber><x/></PartNumber><ETag>e</ETag></Part>')), 'MalformedXML');
  assertS3Error(() => parseCompleteMultipartUpload(wrap(part('0'))), 'InvalidArgument');
  assertS3Error(() => parseCompleteMultipartUpload(wrap(part('10001'))), 'InvalidArgument');
  assertS3Error(() => parseCompleteMultipartUpload(wrap(part('2') + part('1'))), 'InvalidPartOrder');
  assertS3Error(() => parseCompleteMultipartUpload(wrap(part('2') + part('2'))), 'InvalidPartOrder');
  assertS3Error(() => parseCompleteMultipartUpload(wrap(part('1', '""'))), 'InvalidPart');
});

test('parseDeleteObjects: keys verbatim, versions, quiet', () => {
  const body = `<Delete xmlns="${S3_XMLNS}"><Quiet> TRUE </Quiet>${AWKWARD_KEYS.map((k) => element('Object', textElement('Key', k))).join('')}<Object><Key>v</Key><VersionId>3HL4kqtJlcpXroDTDmjVBH40Nrjfkd</VersionId></Object></Delete>`;
  const r = parseDeleteObjects(body);
  assert.equal(r.quiet, true);
  assert.deepEqual(r.keys, [...AWKWARD_KEYS.map((key) => ({ key })), { key: 'v', versionId: '3HL4kqtJlcpXroDTDmjVBH40Nrjfkd' }]);
  assert.equal(parseDeleteObjects('<Delete><Object><Key>k</Key></Object></Delete>').quiet, false);
  assert.deepEqual(parseDeleteObjects('<Delete><Object><Key></Key></Object></Delete>').keys, [{ key: '' }]);
});

test('parseDeleteObjects rejects wrong shapes', () => {
  assertS3Error(() => parseDeleteObjects('<Delete></Delete>'), 'MalformedXML');
  assertS3Error(() => parseDeleteObjects('<Delete><Quiet>true</Quiet></Delete>'), 'MalformedXML');
  assertS3Error(() => parseDeleteObjects('<Delete><Object><VersionId>1</VersionId></Object></Delete>'), 'MalformedXML');
  assertS3Error(() => parseDeleteObjects('<Delete><Object><Key>a</Key></Object><Quiet>yes</Quiet></Delete>'), 'MalformedXML');
  assertS3Error(() => parseDeleteObjects('<NotDelete><Object><Key>a</Key></Object></NotDelete>'), 'MalformedXML');
  const many = '<Delete>' + '<Object><Key>k</Key></Object>'.repeat(1001) + '</Delete>';
  assertS3Error(() => parseDeleteObjects(many), 'MalformedXML');
  assert.equal(parseDeleteObjects('<Delete>' + '<Object><Key>k</Key></Object>'.repeat(1000) + '</Delete>').keys.length, 1000);
});

test('bodies serialised by the real S3 client parse to what the client meant', async (t) => {
  const server = await startRecorder((req, res) => {
    res.setHeader('content-type', 'application/xml');
    res.end(
      req.rawQuery?.includes('delete')
        ? '<?xml version="1.0" encoding="UTF-8"?><DeleteResult></DeleteResult>'
        : '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><ETag>"x-2"</ETag></CompleteMultipartUploadResult>',
    );
  });
  t.after(() => server.close());
  const client = s3ClientFor(server.url);
  t.after(() => client.destroy());

  await client.send(
    new DeleteObjectsCommand({
      Bucket: 'b',
      Delete: { Quiet: true, Objects: AWKWARD_KEYS.map((Key, i) => (i === 0 ? { Key, VersionId: 'v1' } : { Key })) },
    }),
  );
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: 'b',
      Key: 'k',
      UploadId: 'u',
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: '"a54357aff0632cce46d942af68356b38"', ChecksumCRC32C: 'yZRlqg==' },
          { PartNumber: 2, ETag: '"0c78aef83f66abc1fa1e8477f296d394"' },
        ],
      },
    }),
  );
  const [del, complete] = server.requests;
  const parsedDelete = parseDeleteObjects(del!.body.toString('utf8'));
  assert.equal(parsedDelete.quiet, true);
  assert.deepEqual(
    parsedDelete.keys,
    AWKWARD_KEYS.map((key, i) => (i === 0 ? { key, versionId: 'v1' } : { key })),
  );
  assert.deepEqual(parseCompleteMultipartUpload(complete!.body.toString('utf8')), [
    { partNumber: 1, etag: 'a54357aff0632cce46d942af68356b38', checksums: { crc32c: 'yZRlqg==' } },
    { partNumber: 2, etag: '0c78aef83f66abc1fa1e8477f296d394' },
  ]);
});
