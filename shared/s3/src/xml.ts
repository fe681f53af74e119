// Building S3 XML responses by string concatenation: response bodies are flat and
// known in advance, so a DOM or builder library would only add allocations.
// Convention: `textElement` escapes, `element`/`xmlDocument` take XML built by these
// helpers (never raw client input).

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

// '&', '<', '>' must be escaped in text; quotes too so a value is also safe in an
// attribute; '\r' because parsers would normalise a literal one into '\n' (a key
// "a\r\nb" would come back as "a\nb"); other C0 controls cannot appear literally in
// XML 1.0, so they go out as character references (S3 keys may contain them).
const NEEDS_ESCAPE = /[&<>"'\r\x00-\x08\x0b\x0c\x0e-\x1f]/;
const ESCAPABLE = /[&<>"'\r\x00-\x08\x0b\x0c\x0e-\x1f]/g;
const NAMED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeChar(c: string): string {
  return NAMED[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
}

export function escapeXml(value: string): string {
  // Most values (keys, ETags, dates) need nothing: test once, return the same string.
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPABLE, escapeChar) : value;
}

/** `<name>escaped value</name>`, or '' when the value is absent (optional fields). */
export function textElement(name: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? escapeXml(value) : String(value);
  return `<${name}>${text}</${name}>`;
}

/** `<name>inner</name>` where `inner` is XML already built with these helpers. */
export function element(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

/** A complete response document; S3 puts its namespace on the root of every body but errors. */
export function xmlDocument(root: string, inner: string, namespace: string | null = S3_XMLNS): string {
  const open = namespace === null ? `<${root}>` : `<${root} xmlns="${namespace}">`;
  return `${XML_DECLARATION}${open}${inner}</${root}>`;
}
