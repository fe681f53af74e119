// The one schema, assembled from the sections (sections/index.ts): each value's own rule,
// then the rules relating values (counts, then every other check, then the refused
// settings), then normalisation to Config. Its issues are the messages the operator reads.

import { z } from 'zod';
import { deriveValues } from './derived.js';
import { section } from './fields.js';
import { describeAt, type KeyPath } from './key-path.js';
import type { Report } from './section.js';
import { SECTIONS, UNSUPPORTED_SETTINGS, type Config, type ConfigDocument } from './sections/index.js';

type DocumentShape = { [S in (typeof SECTIONS)[number] as S['key']]: S['schema'] };

/** The file's own shape: every key we recognise, in the YAML's snake_case. */
export const configDocumentSchema = section(
  Object.fromEntries(SECTIONS.map((s) => [s.key, s.schema])) as DocumentShape,
);

/**
 * The rules of every section. zod runs them on "dirty" data too (a leaf that failed its
 * own rule reads as undefined), which is what lets one pass report every problem.
 */
function checkRules(file: ConfigDocument, report: Report): void {
  const derived = deriveValues(file);
  for (const s of SECTIONS) s.checkCounts?.(file, report);
  for (const s of SECTIONS) s.check?.(file, report, derived);
  for (const setting of UNSUPPORTED_SETTINGS) {
    if (setting.isOn(file)) report(setting.key.split('.'), setting.problem);
  }
}

function toConfig(file: ConfigDocument): Config {
  const derived = deriveValues(file);
  const config: Record<string, unknown> = {};
  for (const s of SECTIONS) {
    if (s.field !== null && s.normalise) config[s.field] = s.normalise(file, derived);
  }
  return config as Config;
}

export const configSchema = configDocumentSchema
  .superRefine((file, ctx) => {
    checkRules(file, (path, message) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [...path], message }));
  })
  .transform(toConfig);

// Leaves write their own messages; zod's built-in ones only remain for a
// mapping or list that is something else, and those are phrased in YAML terms.
const KIND_NAMES: Partial<Record<z.ZodParsedType, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a single value',
  null: 'an empty value',
  undefined: 'nothing',
};

const errorMap: z.ZodErrorMap = (issue, ctx) => {
  if (issue.code === z.ZodIssueCode.invalid_type) {
    const expected = KIND_NAMES[issue.expected] ?? issue.expected;
    const received = KIND_NAMES[issue.received] ?? issue.received;
    return { message: `expected ${expected}, got ${received}` };
  }
  return { message: ctx.defaultError };
};

export interface SchemaProblem {
  path: KeyPath;
  text: string;
}

export type SchemaResult = { ok: true; config: Config } | { ok: false; problems: SchemaProblem[] };

/** Validates a YAML tree (env already expanded) and normalises it. */
export function applyConfigSchema(tree: unknown): SchemaResult {
  const result = configSchema.safeParse(tree, { errorMap });
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({ path: issue.path, text: describeAt(issue.path, issue.message) })),
  };
}
