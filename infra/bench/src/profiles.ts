// How much work a run does. `full` is the run whose results are committed; `quick` is a
// smoke run of about a minute with the same scenarios at smaller sizes and counts; `cpu` has
// quick's sizes but enough operations per row that the CPU-per-operation figures are not
// dominated by the 10 ms clock tick (a few minutes: for judging a change while developing).

const KiB = 1024;
const MiB = 1024 * KiB;

export interface BenchProfile {
  name: ProfileName;
  small: {
    objectBytes: number;
    /** measured time per scenario and side, in `slices` slices */
    durationMs: number;
    /** unmeasured time before each slice */
    warmupMs: number;
    /** see Scenario.slices */
    slices: number;
    /** objects written before a GET or HEAD scenario, read round-robin */
    readSetSize: number;
  };
  large: {
    /** stays above the gateway's default replay buffer (8 MiB), so large bodies take the streaming path */
    objectBytes: number;
    durationMs: number;
    slices: number;
    /** each worker does at least this many operations per slice */
    minOpsPerWorker: number;
    /**
     * unmeasured time before each slice (at least one operation per worker): without it a
     * 10 s window of a few 64 MiB operations holds the gateway's first-use costs — code paths
     * not yet optimised, modules loaded on first use (docs/performance.md, "Encrypted PUT,
     * repeated")
     */
    warmupMs: number;
  };
  /**
   * unmeasured 4 KiB PUT/GET/HEAD traffic through each hop (gateway, proxy) before the first
   * row, so no row measures the JIT's first optimisation of the request paths (hop-warmup.ts)
   */
  hopWarmupMs: number;
  /** concurrent uploads during which the gateway's peak RSS is measured */
  concurrentUploads: { objectBytes: number; count: number };
  list: {
    /** objects seeded into the ledger of the listed bucket */
    objects: number;
    pageSize: number;
    /** pages requested (walking the bucket, wrapping around) */
    pages: number;
  };
}

export const FULL_PROFILE: BenchProfile = {
  name: 'full',
  small: { objectBytes: 4 * KiB, durationMs: 8_000, warmupMs: 250, slices: 4, readSetSize: 256 },
  large: { objectBytes: 64 * MiB, durationMs: 10_000, slices: 2, minOpsPerWorker: 1, warmupMs: 1_000 },
  hopWarmupMs: 15_000,
  concurrentUploads: { objectBytes: 256 * MiB, count: 4 },
  list: { objects: 100_000, pageSize: 1000, pages: 300 },
};

export const QUICK_PROFILE: BenchProfile = {
  name: 'quick',
  small: { objectBytes: 4 * KiB, durationMs: 500, warmupMs: 100, slices: 1, readSetSize: 32 },
  large: { objectBytes: 16 * MiB, durationMs: 0, slices: 1, minOpsPerWorker: 1, warmupMs: 0 },
  hopWarmupMs: 0,
  concurrentUploads: { objectBytes: 32 * MiB, count: 4 },
  list: { objects: 5_000, pageSize: 1000, pages: 15 },
};

export const CPU_PROFILE: BenchProfile = {
  name: 'cpu',
  small: { objectBytes: 4 * KiB, durationMs: 3_000, warmupMs: 200, slices: 3, readSetSize: 64 },
  large: { objectBytes: 16 * MiB, durationMs: 3_000, slices: 2, minOpsPerWorker: 4, warmupMs: 500 },
  hopWarmupMs: 5_000,
  concurrentUploads: { objectBytes: 32 * MiB, count: 4 },
  list: { objects: 5_000, pageSize: 1000, pages: 60 },
};

export const PROFILE_NAMES = ['full', 'quick', 'cpu'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export function profileNamed(name: ProfileName): BenchProfile {
  return name === 'quick' ? QUICK_PROFILE : name === 'cpu' ? CPU_PROFILE : FULL_PROFILE;
}

/** "4 KiB", "64 MiB" */
export function formatSize(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} B`;
}
