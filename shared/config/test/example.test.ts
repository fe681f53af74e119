// config.example.yaml documents every key: each key it shows (the commented-out
// notification endpoint included) is one the schema knows, and each key the schema reads
// is shown. load.test.ts checks that the file loads as it stands.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { z } from 'zod';
import { parseConfig } from '../src/index.js';
import { configDocumentSchema } from '../src/schema.js';
import { SECTIONS } from '../src/sections/index.js';
import { findUnknownKeys } from '../src/unknown-keys.js';
import { readYamlTree } from '../src/yaml-tree.js';

const EXAMPLE = readFileSync(new URL('../config.example.yaml', import.meta.url), 'utf8');
const ENV = { S3O_ROOT_SECRET: 'root-secret', PHOTOS_SECRET: 'photos-secret', MINIO_SECRET_KEY: 'minio-secret', HOOK_SECRET: 'hook-secret' };

/**
 * The example with its commented-out endpoint turned on (`endpoints: []` followed by
 * `  # - name: …` lines). `nested` also turns on the keys commented out inside it (the nats
 * endpoint's `subject`), which only makes sense for listing keys.
 */
function withExampleEndpoint(nested: boolean): string {
  const lines = EXAMPLE.split('\n');
  const start = lines.findIndex((line) => line.trim() === 'endpoints: []');
  assert.ok(start > 0, 'config.example.yaml has no "endpoints: []" line');
  lines[start] = lines[start]!.replace('endpoints: []', 'endpoints:');
  for (let i = start + 1; i < lines.length && lines[i]!.startsWith('  # '); i++) {
    lines[i] = `  ${lines[i]!.slice(4)}`;
    if (nested) lines[i] = lines[i]!.replace(/^(\s*)# (\w+:)/, '$1$2');
  }
  return lines.join('\n');
}

/** Dotted paths of every mapping key in a YAML tree; list elements read as `[]`. */
function keysOfTree(value: unknown, path = ''): Set<string> {
  const keys = new Set<string>();
  if (Array.isArray(value)) {
    for (const item of value) for (const key of keysOfTree(item, `${path}[]`)) keys.add(key);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      keys.add(at);
      for (const nested of keysOfTree(item, at)) keys.add(nested);
    }
  }
  return keys;
}

/**
 * Dotted paths of every key the schema reads. A bare `z.unknown()` is a key that is only
 * recognised (upstream tuning knobs of refused features): accepted, not documented.
 */
function keysOfSchema(schema: z.ZodTypeAny, path = ''): Set<string> {
  const keys = new Set<string>();
  let inner = schema;
  while (inner instanceof z.ZodEffects || inner instanceof z.ZodNullable) {
    inner = inner instanceof z.ZodEffects ? inner.innerType() : inner.unwrap();
  }
  if (inner instanceof z.ZodObject) {
    for (const [key, item] of Object.entries(inner.shape as z.ZodRawShape)) {
      if (item instanceof z.ZodUnknown) continue;
      const at = path === '' ? key : `${path}.${key}`;
      keys.add(at);
      for (const nested of keysOfSchema(item, at)) keys.add(nested);
    }
  } else if (inner instanceof z.ZodArray) {
    for (const nested of keysOfSchema(inner.element as z.ZodTypeAny, `${path}[]`)) keys.add(nested);
  }
  return keys;
}

test('the example loads with its commented-out endpoint turned on', () => {
  const { config, warnings } = parseConfig(withExampleEndpoint(false), ENV);
  assert.deepEqual(warnings, []);
  assert.equal(config.notifications.endpoints.length, 1);
  assert.equal(config.notifications.endpoints[0]!.secret, 'hook-secret');
});

test('every key the example shows is known to the schema', () => {
  const tree = readYamlTree(withExampleEndpoint(true)).tree;
  assert.deepEqual(findUnknownKeys(configDocumentSchema, tree), []);
});

test('every key the schema reads is shown in the example', () => {
  const shown = keysOfTree(readYamlTree(withExampleEndpoint(true)).tree);
  const read = keysOfSchema(configDocumentSchema);
  assert.ok(read.size > 100, `the schema walk found only ${read.size} keys`);
  assert.deepEqual([...read].filter((key) => !shown.has(key)), []);
});

test('the sections are registered in the order of the example, auth after the lists', () => {
  const tree = readYamlTree(EXAMPLE).tree as Record<string, unknown>;
  const order = Object.keys(tree).filter((key) => key !== 'auth');
  order.splice(order.indexOf('backends') + 1, 0, 'auth');
  assert.deepEqual(SECTIONS.map((s) => s.key), order);
});
