// The registry of sections (src/sections/index.ts): what schema.ts relies on when it builds
// the file's schema, Config and the refused settings from it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { UNSUPPORTED_SETTINGS } from '../src/index.js';
import { configDocumentSchema } from '../src/schema.js';
import { SECTIONS } from '../src/sections/index.js';

test('each section has its own key and Config member; only a recognised-only section has no normalise', () => {
  const keys = SECTIONS.map((s) => s.key);
  assert.deepEqual(keys, [...new Set(keys)]);
  const fields = SECTIONS.flatMap((s) => (s.field === null ? [] : [s.field]));
  assert.deepEqual(fields, [...new Set(fields)]);
  for (const s of SECTIONS) {
    assert.equal(s.field === null, s.normalise === undefined, `${s.key}: field ${String(s.field)}, normalise ${typeof s.normalise}`);
  }
  assert.deepEqual(SECTIONS.filter((s) => s.field === null).map((s) => s.key), []);
});

test('the file schema has one key per section, in registry order', () => {
  const file = configDocumentSchema.innerType();
  assert.ok(file instanceof z.ZodObject);
  assert.deepEqual(Object.keys(file.shape), SECTIONS.map((s) => s.key));
});

test('every refused setting lives in the section its key starts with', () => {
  for (const setting of UNSUPPORTED_SETTINGS) {
    const owner = SECTIONS.find((s) => s.unsupported?.includes(setting as never));
    assert.ok(owner, setting.key);
    assert.ok(setting.key.startsWith(`${owner.key}.`), `${setting.key} is refused by ${owner.key}`);
  }
});
