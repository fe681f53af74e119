// Metadata values must cross HTTP as ASCII; the rule is RFC 2047 encoded words for anything
// that is not plain printable ASCII (see src/metadata.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMetadataValue, encodeMetadataValue } from '../src/metadata.js';

describe('metadata value encoding', () => {
  it('sends plain printable ASCII verbatim', () => {
    for (const value of ['', 'abc', 'a b c', 'x=1;y=2', '%2F+/~!']) assert.equal(encodeMetadataValue(value), value);
  });

  it('encodes non-ASCII, control characters, odd whitespace and "=?" as RFC 2047 words, and decodes them back', () => {
    const values = ['ü ñ 日本', 'tab\there', 'line\nbreak', ' leading', 'trailing ', 'two  spaces', '=?UTF-8?B?YQ==?=', '🙂'];
    for (const value of values) {
      const encoded = encodeMetadataValue(value);
      assert.match(encoded, /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=( =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)*$/, value);
      assert.equal(decodeMetadataValue(encoded), value);
    }
  });

  it('splits long values into encoded words of at most 75 characters without splitting a character', () => {
    const value = '日本語のメタデータ'.repeat(20);
    const encoded = encodeMetadataValue(value);
    const words = encoded.split(' ');
    assert.ok(words.length > 1);
    for (const word of words) assert.ok(word.length <= 75, word);
    assert.equal(decodeMetadataValue(encoded), value);
  });

  it('decodes what S3 returns: B and Q words, UTF-8 and ISO-8859-1, case-insensitive', () => {
    assert.equal(decodeMetadataValue('=?utf-8?b?w7w=?='), 'ü');
    assert.equal(decodeMetadataValue('=?UTF-8?Q?caf=C3=A9_au_lait?='), 'café au lait');
    assert.equal(decodeMetadataValue('=?ISO-8859-1?Q?=FC?='), 'ü');
    assert.equal(decodeMetadataValue('=?UTF-8?B?w7w=?= =?UTF-8?B?w7E=?='), 'üñ');
  });

  it('leaves values that are not made only of encoded words unchanged', () => {
    for (const value of ['plain', 'x =?UTF-8?B?w7w=?=', '=?UTF-8?B?w7w=?= tail', '=?KOI8-R?B?w7w=?=']) {
      assert.equal(decodeMetadataValue(value), value);
    }
  });
});
