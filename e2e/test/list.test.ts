// ListObjectsV2 and ListObjects (V1) answered from the ledger: prefixes, delimiters,
// pagination (continuation token, marker, start-after) with common prefixes counted in
// max-keys, byte-order sorting of unicode keys, and URL encoding of keys in the answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsCommandInput,
  type ListObjectsV2CommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { expectS3Error, put, startSystem, testNothingEscaped, type E2ESystem } from '../src/index.js';

const TREE = ['tree/a/1', 'tree/a/2', 'tree/b/1', 'tree/c', 'tree/d.txt', 'tree/e/f/g'];
const PAGE = Array.from({ length: 30 }, (_, i) => `page/k${String(i).padStart(2, '0')}`);
const CP = ['cp/a/1', 'cp/a/2', 'cp/b/1', 'cp/c', 'cp/d/1', 'cp/d/2', 'cp/e'];
const UNI = ['uni/a', 'uni/Z', 'uni/~', 'uni/é', 'uni/é/x', 'uni/日本', 'uni/ｚ', 'uni/🙂', 'uni/e\u0301'];
const ENC = ['enc/a b', 'enc/plus+', 'enc/pct%25', 'enc/ü', 'enc/amp&<lt>', 'enc/ctl\u0001x'];

/** S3 orders keys by their UTF-8 bytes, not by JavaScript's UTF-16 code units. */
const byteOrder = (keys: string[]) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('listing', () => {
  let sys: E2ESystem;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    sys = await startSystem();
    s3 = sys.client();
    bucket = sys.bucket.name;
    const all = [...TREE, ...PAGE, ...CP, ...UNI, ...ENC];
    // A few writes at a time: quicker than one by one, gentle on two cores.
    for (let i = 0; i < all.length; i += 6) {
      await Promise.all(all.slice(i, i + 6).map((Key) => put(s3, { Bucket: bucket, Key, Body: Key })));
    }
  });
  after(() => sys?.stop());

  const v2 = (input: Omit<ListObjectsV2CommandInput, 'Bucket'>) => s3.send(new ListObjectsV2Command({ Bucket: bucket, ...input }));
  const v1 = (input: Omit<ListObjectsCommandInput, 'Bucket'>) => s3.send(new ListObjectsCommand({ Bucket: bucket, ...input }));
  const keysOf = (page: { Contents?: Array<{ Key?: string }> }) => (page.Contents ?? []).map((c) => c.Key!);
  const prefixesOf = (page: { CommonPrefixes?: Array<{ Prefix?: string }> }) => (page.CommonPrefixes ?? []).map((p) => p.Prefix!);

  test('V2: prefix with "/" delimiter folds sub-trees into CommonPrefixes', async () => {
    const page = await v2({ Prefix: 'tree/', Delimiter: '/' });
    assert.deepEqual(keysOf(page), ['tree/c', 'tree/d.txt']);
    assert.deepEqual(prefixesOf(page), ['tree/a/', 'tree/b/', 'tree/e/']);
    assert.equal(page.KeyCount, 5);
    assert.equal(page.IsTruncated, false);
    assert.equal(page.Prefix, 'tree/');
    assert.equal(page.Delimiter, '/');
  });

  test('V2: a prefix without delimiter lists every key below it; an unmatched prefix lists nothing', async () => {
    assert.deepEqual(keysOf(await v2({ Prefix: 'tree/a/' })), ['tree/a/1', 'tree/a/2']);
    assert.deepEqual(keysOf(await v2({ Prefix: 'tree/' })), TREE);
    const none = await v2({ Prefix: 'tree/zz' });
    assert.deepEqual(keysOf(none), []);
    assert.equal(none.KeyCount, 0);
    assert.equal(none.IsTruncated, false);
  });

  test('V2: any delimiter works, not only "/"', async () => {
    const page = await v2({ Prefix: 'tree/', Delimiter: '.' });
    assert.deepEqual(prefixesOf(page), ['tree/d.']);
    assert.deepEqual(keysOf(page), ['tree/a/1', 'tree/a/2', 'tree/b/1', 'tree/c', 'tree/e/f/g']);
  });

  test('V1: prefix and delimiter behave the same', async () => {
    const page = await v1({ Prefix: 'tree/', Delimiter: '/' });
    assert.deepEqual(keysOf(page), ['tree/c', 'tree/d.txt']);
    assert.deepEqual(prefixesOf(page), ['tree/a/', 'tree/b/', 'tree/e/']);
    assert.equal(page.IsTruncated, false);
  });

  test('V2: 30 keys in pages of 7 via continuation tokens', async () => {
    const pages: string[][] = [];
    let token: string | undefined;
    for (;;) {
      const page = await v2({ Prefix: 'page/', MaxKeys: 7, ContinuationToken: token });
      pages.push(keysOf(page));
      assert.equal(page.KeyCount, keysOf(page).length);
      assert.equal(page.MaxKeys, 7);
      if (token) assert.equal(page.ContinuationToken, token);
      if (!page.IsTruncated) {
        assert.equal(page.NextContinuationToken, undefined);
        break;
      }
      assert.ok(page.NextContinuationToken, 'a truncated page has a NextContinuationToken');
      token = page.NextContinuationToken;
      assert.ok(pages.length <= 5, 'more pages than 30 keys need');
    }
    assert.deepEqual(pages.map((p) => p.length), [7, 7, 7, 7, 2]);
    assert.deepEqual(pages.flat(), PAGE);
  });

  test('V2: StartAfter starts strictly after the given key, also a key that does not exist', async () => {
    const page = await v2({ Prefix: 'page/', StartAfter: 'page/k14' });
    assert.deepEqual(keysOf(page), PAGE.slice(15));
    assert.equal(page.StartAfter, 'page/k14');
    assert.deepEqual(keysOf(await v2({ Prefix: 'page/', StartAfter: 'page/k145' })), PAGE.slice(15));
  });

  test('V1: 30 keys in pages of 7 via Marker', async () => {
    const pages: string[][] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await v1({ Prefix: 'page/', MaxKeys: 7, Marker: marker });
      const keys = keysOf(page);
      pages.push(keys);
      if (!page.IsTruncated) break;
      // Without a delimiter S3 may leave NextMarker out; the last key is the marker then.
      marker = page.NextMarker ?? keys.at(-1);
      assert.ok(pages.length <= 5, 'more pages than 30 keys need');
    }
    assert.deepEqual(pages.map((p) => p.length), [7, 7, 7, 7, 2]);
    assert.deepEqual(pages.flat(), PAGE);
  });

  test('V2: CommonPrefixes count towards MaxKeys and never repeat across pages', async () => {
    const pages: Array<{ keys: string[]; prefixes: string[] }> = [];
    let token: string | undefined;
    do {
      const page = await v2({ Prefix: 'cp/', Delimiter: '/', MaxKeys: 2, ContinuationToken: token });
      pages.push({ keys: keysOf(page), prefixes: prefixesOf(page) });
      assert.equal(page.KeyCount, keysOf(page).length + prefixesOf(page).length);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      assert.ok(pages.length <= 3, 'more pages than five entries need');
    } while (token);
    assert.deepEqual(pages, [
      { keys: [], prefixes: ['cp/a/', 'cp/b/'] },
      { keys: ['cp/c'], prefixes: ['cp/d/'] },
      { keys: ['cp/e'], prefixes: [] },
    ]);
  });

  test('V1: CommonPrefixes count towards MaxKeys and NextMarker continues after a prefix', async () => {
    const entries: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await v1({ Prefix: 'cp/', Delimiter: '/', MaxKeys: 2, Marker: marker });
      pages += 1;
      const here = [...keysOf(page), ...prefixesOf(page)];
      assert.ok(here.length <= 2, `a page of MaxKeys 2 held ${JSON.stringify(here)}`);
      entries.push(...here);
      if (!page.IsTruncated) break;
      assert.ok(page.NextMarker, 'with a delimiter a truncated V1 page carries NextMarker');
      marker = page.NextMarker;
      assert.ok(pages <= 3, 'more pages than five entries need');
    }
    assert.deepEqual(entries.sort(), ['cp/a/', 'cp/b/', 'cp/c', 'cp/d/', 'cp/e']);
  });

  test('keys sort by UTF-8 bytes in V2 and V1, and prefixes match bytes exactly', async () => {
    const expected = byteOrder(UNI);
    // U+FF5A sorts after U+1F642 in UTF-16 but before it in UTF-8: this catches a JS sort.
    assert.ok(expected.indexOf('uni/ｚ') < expected.indexOf('uni/🙂'));
    assert.deepEqual(keysOf(await v2({ Prefix: 'uni/' })), expected);
    assert.deepEqual(keysOf(await v1({ Prefix: 'uni/' })), expected);
    assert.deepEqual(keysOf(await v2({ Prefix: 'uni/é' })), ['uni/é', 'uni/é/x']);

    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await v2({ Prefix: 'uni/', MaxKeys: 2, ContinuationToken: token });
      paged.push(...keysOf(page));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    assert.deepEqual(paged, expected);
    assert.deepEqual(keysOf(await v2({ Prefix: 'uni/', StartAfter: 'uni/日本' })), expected.slice(expected.indexOf('uni/日本') + 1));
  });

  test('EncodingType=url returns URL-encoded keys that decode to the originals', async () => {
    const page = await v2({ Prefix: 'enc/', EncodingType: 'url' });
    assert.equal(page.EncodingType, 'url');
    const decoded = keysOf(page).map(decodeS3Url);
    assert.deepEqual(decoded, byteOrder(ENC));
    // A control character cannot appear in XML 1.0: it must arrive encoded.
    assert.ok(keysOf(page).every((k) => !k.includes('\u0001')), 'a raw control character in the XML');

    const delimited = await v2({ Prefix: 'enc/', Delimiter: ' ', EncodingType: 'url' });
    assert.deepEqual(prefixesOf(delimited).map(decodeS3Url), ['enc/a ']);

    const v1Page = await v1({ Prefix: 'enc/', EncodingType: 'url' });
    assert.deepEqual(keysOf(v1Page).map(decodeS3Url), byteOrder(ENC));
  });

  test('MaxKeys above 1000 is capped at 1000', async () => {
    const cap = Array.from({ length: 1001 }, (_, i) => `cap/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < cap.length; i += 8) {
      await Promise.all(cap.slice(i, i + 8).map((Key) => put(s3, { Bucket: bucket, Key, Body: '' })));
    }
    const first = await v2({ Prefix: 'cap/', MaxKeys: 5000 });
    assert.deepEqual(keysOf(first), cap.slice(0, 1000));
    assert.equal(first.IsTruncated, true);
    assert.ok((first.MaxKeys ?? 0) <= 1000, `MaxKeys echoed as ${first.MaxKeys}`);
    const rest = await v2({ Prefix: 'cap/', MaxKeys: 5000, ContinuationToken: first.NextContinuationToken });
    assert.deepEqual(keysOf(rest), cap.slice(1000));
    assert.equal(rest.IsTruncated, false);

    const v1First = await v1({ Prefix: 'cap/', MaxKeys: 5000 });
    assert.equal(keysOf(v1First).length, 1000);
    assert.equal(v1First.IsTruncated, true);
  });

  test('a continuation token that was never issued is InvalidArgument', async () => {
    await expectS3Error(v2({ Prefix: 'page/', ContinuationToken: 'not-a-token-we-issued' }), { code: 'InvalidArgument', status: 400 });
  });

  testNothingEscaped(() => sys);
});

/** S3's `url` encoding writes a space as `+` or `%20`; a literal `+` is always `%2B`. */
function decodeS3Url(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, '%20'));
}
