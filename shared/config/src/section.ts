// What one section of the configuration file (one top-level key) is. Each section lives in
// sections/<key>.ts and holds everything about it: the schema of its values as written
// (snake_case, with defaults and each value's own rule), the runtime shape it becomes, the
// rules relating its values to each other and to other sections, and the upstream settings
// it refuses. sections/index.ts lists them; schema.ts runs them.
//
// A section names what it reads of the file as the type of its hooks' `file` parameter
// (its own key, plus whatever it compares itself with), written out rather than imported
// from the registry, so a section never depends on the list that depends on it.

import type { z } from 'zod';
import type { DerivedValues } from './derived.js';
import type { KeyPath } from './key-path.js';

/** Records a problem at a key path: rules report what they find and carry on. */
export type Report = (path: KeyPath, message: string) => void;

/**
 * A setting upstream has whose behaviour does not exist here yet. Ignoring it would silently
 * change what the operator asked for (data not encrypted, TLS not served …), so turning it on
 * is an error. When the feature lands: delete the entry and read the value in `normalise`.
 */
export interface UnsupportedSetting<File> {
  /** The key as documented, dotted; also the path the problem is reported at. */
  readonly key: string;
  /** What the operator reads after the key path. */
  readonly problem: string;
  isOn(file: File): boolean;
}

export interface ConfigSection<Key extends string, Field extends string | null, Document, Value, File> {
  /** The top-level key in the file. */
  readonly key: Key;
  /** The member of Config it becomes; null for an upstream section that is only recognised. */
  readonly field: Field;
  /** Each value's type, default and own rule. Leaves report their problems, so every one is found in one pass. */
  readonly schema: z.ZodType<Document, z.ZodTypeDef, unknown>;
  /** The validated section → its runtime shape (camelCase, milliseconds, bytes). Runs only on a valid file. */
  normalise?(file: File, derived: DerivedValues): Value;
  /**
   * Rules about how many entries the file has (at least one bucket …). They run before
   * every section's `check`, so "add a backend" is read before anything about one.
   */
  checkCounts?(file: File, report: Report): void;
  /**
   * Rules relating values to each other and to other sections. Like checkCounts they also
   * run when some values were bad: a value that failed its own rule reads as undefined
   * and is skipped, so it is not reported twice.
   */
  check?(file: File, report: Report, derived: DerivedValues): void;
  readonly unsupported?: readonly UnsupportedSetting<File>[];
}

/** Types a section; `File` comes from its hooks' `file` parameter. */
export function defineSection<Key extends string, Field extends string | null, Document, Value, File extends { [K in Key]: Document }>(
  section: ConfigSection<Key, Field, Document, Value, File>,
): ConfigSection<Key, Field, Document, Value, File> {
  return section;
}

export interface Keyed {
  value: string;
  path: KeyPath;
}

/** Reports every occurrence after the first of each value, pointing back at the first. */
export function reportDuplicates(entries: Keyed[], describe: (value: string, firstPath: KeyPath) => string, report: Report): void {
  const firstSeen = new Map<string, KeyPath>();
  for (const { value, path } of entries) {
    if (typeof value !== 'string') continue; // failed its own check
    const first = firstSeen.get(value);
    if (first === undefined) firstSeen.set(value, path);
    else report(path, describe(value, first));
  }
}
