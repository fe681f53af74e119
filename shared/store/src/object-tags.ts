// How rows carry an object's tags: present only when there are some, so an untagged object's
// row is the same whichever engine decoded it or which write made it.
export function withTags(tags: Record<string, string> | undefined): { tags?: Record<string, string> } {
  return tags !== undefined && Object.keys(tags).length > 0 ? { tags } : {};
}

/**
 * Tags as they travel in a backend object's metadata (`x-amz-meta-s3o-tags`, docs/architecture.md
 * §4 "What a backend object carries"): the query-string form of x-amz-tagging, each name and
 * value URI-encoded, so any tag survives metadata's ASCII-only values.
 */
export function encodeStoredTags(tags: Record<string, string> | undefined): string | null {
  if (tags === undefined || Object.keys(tags).length === 0) return null;
  return Object.entries(tags).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** The inverse of encodeStoredTags; undefined for a value that is not of that form. */
export function decodeStoredTags(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined || text === '') return undefined;
  const tags: Record<string, string> = {};
  try {
    for (const pair of text.split('&')) {
      const eq = pair.indexOf('=');
      if (eq < 0) return undefined;
      tags[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1));
    }
  } catch {
    return undefined;
  }
  return tags;
}
