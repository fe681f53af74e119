// Every input of every fuzz target's committed corpus (fuzz/corpus/<target>/), replayed
// through its target without coverage: what the fuzzer once found interesting must still
// be accepted or refused with an S3 error, never a crash. Findings, once fixed, join the
// corpus and so become regression cases here.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TARGETS } from '../src/targets.js';

const CORPUS = new URL('../corpus/', import.meta.url).pathname;

for (const target of TARGETS) {
  test(`fuzz corpus of ${target.name} replays without a finding`, async () => {
    const dir = join(CORPUS, target.name);
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')) : [];
    const inputs = files.length > 0 ? files.map((f) => ({ name: f, data: readFileSync(join(dir, f)) })) : target.seeds.map((s, i) => ({ name: `seed ${i}`, data: Buffer.from(s) }));
    for (const { name, data } of inputs) {
      await assert.doesNotReject(async () => target.run(data), `${target.name}/${name}`);
    }
  });
}
