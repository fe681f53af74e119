// User metadata (`x-amz-meta-*`) and the standard object headers, to and from HTTP headers.
//
// Header values travel as ASCII. A metadata value that is not plain printable ASCII — it has
// non-ASCII characters, control characters, leading/trailing or repeated whitespace, or it
// contains "=?" and could be mistaken for an encoded word — is sent as RFC 2047 encoded words
// (`=?UTF-8?B?...?=`). That is the form S3 itself returns such values in, so reads decode
// RFC 2047 values, whether this client or S3 encoded them. Everything else is sent verbatim.
import type { IncomingHttpHeaders } from 'node:http';

const META_PREFIX = 'x-amz-meta-';
/** Header-name characters (RFC 9110 token), lower-case because S3 lower-cases metadata names. */
const META_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Printable ASCII words separated by single spaces: survives every HTTP hop unchanged. */
const PLAIN_VALUE = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/;
/** Encoded words are at most 75 characters (RFC 2047 §2): 45 UTF-8 bytes → 60 base64 characters + 12. */
const MAX_ENCODED_WORD_BYTES = 45;
const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
const ONLY_ENCODED_WORDS = /^=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=(?:\s+=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)*$/;

/** Content headers stored with an object and returned on GET/HEAD. */
export interface StandardHeaders {
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
}

const STANDARD_HEADER_NAMES: Record<keyof StandardHeaders, string> = {
  cacheControl: 'cache-control',
  contentDisposition: 'content-disposition',
  contentEncoding: 'content-encoding',
  contentLanguage: 'content-language',
  expires: 'expires',
};

export function encodeMetadataValue(value: string): string {
  if (value === '' || (PLAIN_VALUE.test(value) && !value.includes('=?'))) return value;
  const words: string[] = [];
  let chunk = '';
  let chunkBytes = 0;
  // Split on character boundaries: each encoded word must decode on its own.
  for (const char of value) {
    const bytes = Buffer.byteLength(char, 'utf8');
    if (chunkBytes + bytes > MAX_ENCODED_WORD_BYTES) {
      words.push(chunk);
      chunk = '';
      chunkBytes = 0;
    }
    chunk += char;
    chunkBytes += bytes;
  }
  words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}

/** Decodes a value made only of RFC 2047 encoded words; any other value is returned unchanged. */
export function decodeMetadataValue(value: string): string {
  if (!ONLY_ENCODED_WORDS.test(value)) return value;
  let decoded = '';
  for (const [, charset, encoding, text] of value.matchAll(ENCODED_WORD)) {
    const bufferEncoding = bufferEncodingOf(charset!);
    if (!bufferEncoding) return value;
    const bytes =
      encoding!.toUpperCase() === 'B'
        ? Buffer.from(text!, 'base64')
        : Buffer.from(
            text!.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          );
    decoded += bytes.toString(bufferEncoding);
  }
  return decoded;
}

function bufferEncodingOf(charset: string): BufferEncoding | undefined {
  switch (charset.toLowerCase()) {
    case 'utf-8':
    case 'utf8':
    case 'us-ascii':
      return 'utf8';
    case 'iso-8859-1':
    case 'latin1':
      return 'latin1';
    default:
      return undefined;
  }
}

/** Adds `x-amz-meta-*` headers for `metadata` to `headers`. Names are lower-cased, as S3 stores them. */
export function writeMetadata(headers: Record<string, string>, metadata: Record<string, string> | undefined): void {
  if (!metadata) return;
  for (const [name, value] of Object.entries(metadata)) {
    const lower = name.toLowerCase();
    if (!META_NAME.test(lower)) throw new TypeError(`invalid metadata name: ${JSON.stringify(name)}`);
    headers[META_PREFIX + lower] = encodeMetadataValue(value);
  }
}

export function readMetadata(headers: IncomingHttpHeaders): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(META_PREFIX) || value === undefined) continue;
    metadata[name.slice(META_PREFIX.length)] = decodeMetadataValue(Array.isArray(value) ? value.join(', ') : value);
  }
  return metadata;
}

export function writeStandardHeaders(headers: Record<string, string>, standard: StandardHeaders | undefined): void {
  if (!standard) return;
  for (const field of Object.keys(STANDARD_HEADER_NAMES) as Array<keyof StandardHeaders>) {
    const value = standard[field];
    if (value !== undefined) headers[STANDARD_HEADER_NAMES[field]] = value;
  }
}

export function readStandardHeaders(headers: IncomingHttpHeaders): StandardHeaders {
  const standard: StandardHeaders = {};
  for (const field of Object.keys(STANDARD_HEADER_NAMES) as Array<keyof StandardHeaders>) {
    const value = headers[STANDARD_HEADER_NAMES[field]];
    if (typeof value === 'string') standard[field] = value;
  }
  return standard;
}
