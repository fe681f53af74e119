// How property-based tests (fast-check) run everywhere in this repository: a fixed budget
// of cases per property (S3O_PROPERTY_RUNS, default 200) so CI time stays bounded, and one
// seed per process (S3O_PROPERTY_SEED, else random) printed once, so a failure seen in CI
// is replayed exactly with `S3O_PROPERTY_SEED=<seed> npm test -- <file>`.
import type { Parameters } from 'fast-check';

const seed = process.env.S3O_PROPERTY_SEED !== undefined ? Number(process.env.S3O_PROPERTY_SEED) : (Math.random() * 2 ** 31) | 0;
const numRuns = Number(process.env.S3O_PROPERTY_RUNS ?? 200);
let printed = false;

export function propertyRuns<T = unknown>(overrides: Parameters<T> = {}): Parameters<T> {
  if (!printed) {
    printed = true;
    console.log(`# property tests: seed ${seed}, ${numRuns} runs per property (S3O_PROPERTY_SEED / S3O_PROPERTY_RUNS)`);
  }
  return { seed, numRuns, ...overrides };
}
