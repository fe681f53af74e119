// Keys the schema does not know — typos, settings from a newer upstream —
// become warnings, never failures: the file still loads, and the operator is
// told which lines had no effect. The schema is the only list of known keys;
// this walks it alongside the tree.

import { z } from 'zod';
import { formatKeyPath, type KeyPath } from './key-path.js';

export function findUnknownKeys(schema: z.ZodTypeAny, tree: unknown): string[] {
  const warnings: string[] = [];

  const walk = (schemaNode: z.ZodTypeAny, value: unknown, path: KeyPath): void => {
    const inner = unwrap(schemaNode);
    if (inner instanceof z.ZodObject && isMapping(value)) {
      const shape = inner.shape as z.ZodRawShape;
      for (const [key, item] of Object.entries(value)) {
        const known = shape[key];
        if (known === undefined) warnings.push(unknownKeyWarning([...path, key]));
        else walk(known, item, [...path, key]);
      }
    } else if (inner instanceof z.ZodArray && Array.isArray(value)) {
      value.forEach((item, i) => walk(inner.element as z.ZodTypeAny, item, [...path, i]));
    }
    // Anything else is a leaf or a recognised-but-unread value: nothing below it to check.
  };

  walk(schema, tree, []);
  return warnings;
}

/**
 * Upstream s3-orchestrator settings this orchestrator has no feature for yet, by key path
 * (`[]` for any list index): an upstream file still loads, and validate names each one
 * (docs/migrating-from-upstream.md).
 */
export const UPSTREAM_NOT_SUPPORTED: ReadonlyMap<string, string> = new Map([
  ['ui', 'the built-in web dashboard'],
  ['redis', 'Redis'],
  ['cache', 'the object cache'],
  ['compression', 'compression'],
  ['integrity', 'integrity scrubbing'],
  ['storage_services', 'storage services'],
  ['debug', 'the debug endpoints'],
  ['buckets[].credentials[].token', 'token credentials (use access_key_id and secret_access_key)'],
  ['backends[].unsigned_payload', 'unsigned payloads (the backend client streams signed bodies)'],
]);

function unknownKeyWarning(path: KeyPath): string {
  const shown = JSON.stringify(formatKeyPath(path));
  const upstream = UPSTREAM_NOT_SUPPORTED.get(path.map((p) => (typeof p === 'number' ? '[]' : p)).join('.').replace(/\.\[\]/g, '[]'));
  return upstream === undefined
    ? `unknown key ${shown} (ignored)`
    : `upstream's ${shown} (${upstream}) is not supported yet (ignored)`;
}

/** Sees through the wrappers fields.ts uses (preprocess, refinements, transforms, nullable) to the shape. */
function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
  if (schema instanceof z.ZodEffects) return unwrap(schema.innerType());
  if (schema instanceof z.ZodNullable) return unwrap(schema.unwrap());
  return schema;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
