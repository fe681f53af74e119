// ETags travel quoted on the wire (`"9b2c…"`); this package hands them out unquoted, so
// callers compare hex digests without caring which backend or document they came from.

export function unquoteEtag(etag: string): string {
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}

export function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}
