// Key paths are how every message points at the YAML: the file's own
// snake_case names, list positions in brackets — `backends[1].endpoint`.

export type KeyPath = ReadonlyArray<string | number>;

export function formatKeyPath(path: KeyPath): string {
  if (path.length === 0) return '(top level)';
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

/** `where: problem` — the one shape of every problem and warning the package reports. */
export function describeAt(path: KeyPath, problem: string): string {
  return `${formatKeyPath(path)}: ${problem}`;
}
