// How rows carry an object's tags: present only when there are some, so an untagged object's
// row is the same whichever engine decoded it or which write made it.
export function withTags(tags: Record<string, string> | undefined): { tags?: Record<string, string> } {
  return tags !== undefined && Object.keys(tags).length > 0 ? { tags } : {};
}
