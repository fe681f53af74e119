// The one schema: per-value validation (document.ts), then the rules relating
// values (crossChecks.ts, unsupported.ts), then normalisation to Config. Its
// issues are the messages the operator reads.

import { z } from 'zod';
import { checkCrossFieldRules } from './crossChecks.js';
import { configDocumentSchema } from './document.js';
import { describeAt, type KeyPath } from './keyPath.js';
import { toConfig } from './normalise.js';
import type { Config } from './types.js';
import { checkUnsupportedSettings } from './unsupported.js';

export const configSchema = configDocumentSchema
  .superRefine((doc, ctx) => {
    checkCrossFieldRules(doc, ctx);
    checkUnsupportedSettings(doc, ctx);
  })
  .transform((doc): Config => toConfig(doc));

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
