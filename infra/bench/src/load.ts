// Runs one operation repeatedly from a fixed number of concurrent workers and times each
// call. A run lasts for a duration and at least a minimum number of operations (so slow
// operations still give a figure), optionally capped; a warm-up before it (connections
// opened, code optimised) is not measured.
import { performance } from 'node:perf_hooks';

export interface LoadSpec {
  concurrency: number;
  /** measured phase: keep starting operations until this much time has passed ... */
  durationMs: number;
  /** ... and at least this many have been started */
  minOps: number;
  /** never start more than this many */
  maxOps?: number;
  /** unmeasured operations first, for this long (0 = none) */
  warmupMs?: number;
  /** called when the warm-up is over and the measured phase starts (the caller's CPU windows start here) */
  onMeasureStart?: () => void;
  /** one operation; `index` is unique per call (warm-up included); resolves to the payload bytes moved */
  op(index: number): Promise<number>;
}

export interface LoadResult {
  ops: number;
  errors: number;
  /** the first error's message, to explain a non-zero `errors` */
  firstError: string | null;
  bytes: number;
  seconds: number;
  /** one per successful operation */
  latenciesMs: number[];
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.concurrency < 1) throw new RangeError('concurrency must be at least 1');
  let nextIndex = 0;
  const warmupMs = spec.warmupMs ?? 0;
  if (warmupMs > 0) {
    const until = performance.now() + warmupMs;
    await Promise.all(
      Array.from({ length: spec.concurrency }, async () => {
        // Warm-up failures are not counted: the measured phase that follows will meet them again.
        while (performance.now() < until) await spec.op(nextIndex++).catch(() => 0);
      }),
    );
  }

  spec.onMeasureStart?.();
  const result: LoadResult = { ops: 0, errors: 0, firstError: null, bytes: 0, seconds: 0, latenciesMs: [] };
  let started = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      if (spec.maxOps !== undefined && started >= spec.maxOps) return;
      if (started >= spec.minOps && performance.now() - start >= spec.durationMs) return;
      started++;
      const index = nextIndex++;
      const t0 = performance.now();
      try {
        // Not `result.bytes += await …`: that would read `bytes` before the await and lose
        // what other workers added meanwhile.
        const bytes = await spec.op(index);
        result.bytes += bytes;
        result.latenciesMs.push(performance.now() - t0);
        result.ops++;
      } catch (err) {
        result.errors++;
        result.firstError ??= describeError(err);
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  result.seconds = (performance.now() - start) / 1000;
  return result;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
