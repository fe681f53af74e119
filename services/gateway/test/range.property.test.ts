// Property-based tests (fast-check) of Range and conditional headers (read/conditions.ts):
// any range served lies inside the object and is the one asked for; a well-formed range is
// unsatisfiable exactly when AWS says so (416), and anything else serves the whole object;
// ETag lists match by membership. Budget and seed: scripts/lib/property-runs.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { S3Error } from '@s3o/s3';
import { checkConditions, ifRangeHolds, parseRange } from '../src/read/conditions.js';
import { propertyRuns } from '../../../scripts/lib/property-runs.js';

const size = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const position = fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.bigInt({ min: 0n, max: 10n ** 22n }).map(String));

function outcome(header: string, objectSize: number): 'whole' | 'unsatisfiable' | { start: number; end: number } {
  try {
    return parseRange(header, objectSize) ?? 'whole';
  } catch (err) {
    assert.ok(err instanceof S3Error && err.code === 'InvalidRange', String(err));
    return 'unsatisfiable';
  }
}

test('a served range lies inside the object, and is the one asked for', () => {
  fc.assert(
    fc.property(size, position, fc.option(position, { nil: undefined }), (objectSize, a, b) => {
      const header = `bytes=${a}-${b ?? ''}`;
      const start = Number(a);
      const result = outcome(header, objectSize);
      if (b !== undefined && Number(b) < start) return assert.equal(result, 'whole');
      if (start >= objectSize) return assert.equal(result, 'unsatisfiable');
      assert.deepEqual(result, { start, end: b === undefined ? objectSize - 1 : Math.min(Number(b), objectSize - 1) });
    }),
    propertyRuns(),
  );
});

test('a suffix range serves the last n bytes (all of a shorter object); an empty one is unsatisfiable', () => {
  fc.assert(
    fc.property(size, position, (objectSize, n) => {
      const result = outcome(`bytes=-${n}`, objectSize);
      if (Number(n) === 0 || objectSize === 0) return assert.equal(result, 'unsatisfiable');
      assert.deepEqual(result, { start: Math.max(0, objectSize - Number(n)), end: objectSize - 1 });
    }),
    propertyRuns(),
  );
});

test('any other Range header serves the whole object and never throws anything but InvalidRange', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), size, (header, objectSize) => {
      const result = outcome(header, objectSize);
      if (typeof result === 'object') assert.ok(result.start >= 0 && result.start <= result.end && result.end < objectSize);
    }),
    propertyRuns(),
  );
});

const etag = fc.stringMatching(/^[0-9a-f]{32}(-[1-9][0-9]{0,3})?$/);

test('If-Match / If-None-Match / If-Range match an ETag by membership in the list, quoted, weak or not', () => {
  fc.assert(
    fc.property(etag, fc.array(etag, { maxLength: 4 }), fc.boolean(), fc.boolean(), (current, others, include, weak) => {
      const list = [...others.filter((e) => e !== current), ...(include ? [current] : [])].map((e) => (weak ? `W/"${e}"` : `"${e}"`));
      const header = list.join(', ');
      const code = (c: Parameters<typeof checkConditions>[0]) => {
        try {
          checkConditions(c, current, 0);
          return null;
        } catch (err) {
          return (err as S3Error).code;
        }
      };
      if (list.length === 0) return;
      assert.equal(code({ ifMatch: header }), include ? null : 'PreconditionFailed');
      assert.equal(code({ ifNoneMatch: header }), include ? 'NotModified' : null);
      assert.equal(ifRangeHolds(header, current, 0), include);
    }),
    propertyRuns(),
  );
});
