// The C allocator setting every service process should run with (docs/performance.md,
// "Large objects: the allocator, not the gateway"). Node's HTTP layer allocates two 64 KiB
// buffers per socket read of a body (the read itself and the parser's copy of it), which
// glibc's malloc serves from the heap; the garbage collector frees them in batches of tens
// of MiB, and with glibc's default trim threshold the freed top of the heap goes back to the
// kernel at once, to be faulted in again page by page by the next reads. A process that falls
// into that cycle spends 2–5× the CPU per MB of a large transfer in page faults; which process
// does depends on its allocation history. A fixed threshold above a batch keeps the pages.
// Setting it also fixes glibc's mmap threshold at its 128 KiB default instead of letting it
// drift, so the behaviour no longer depends on what a process happened to free first.
// GLIBC_TUNABLES is read when a process starts, so it cannot be set from inside: the image
// (Dockerfile), `npm start` and the benchmark set it, and a process started without it says so.
//
// The same holds for V8's floor on the old generation's limit (docs/performance.md, "Large
// rows: the CRC in WebAssembly, the rest in garbage collection"). V8 counts the external
// memory allocated since the last major GC (every body buffer) against the room left under
// that limit, which it sets from the live heap (25 MB for a gateway): a busy gateway can end
// up with a major GC every 20–30 MB moved, 1.5–2 ms of CPU per MB. A floor of 64 MB below
// which V8 skips full GCs keeps it out of that state. It is a command-line flag (not allowed
// in NODE_OPTIONS): the image's entrypoint, `npm start` and the benchmark pass it.

/** The tunable and its value: keep up to 64 MiB of freed heap instead of returning it to the kernel. */
export const MALLOC_TRIM_TUNABLE = 'glibc.malloc.trim_threshold';
export const MALLOC_TRIM_BYTES = 64 * 1024 * 1024;

/**
 * GLIBC_TUNABLES for a child process: the given value with the trim threshold added, unless
 * the operator set one of their own (theirs wins).
 */
export function withMallocTunables(current: string | undefined): string {
  const entries = tunableEntries(current);
  if (setsTrimThreshold(current)) return entries.join(':');
  return [...entries, `${MALLOC_TRIM_TUNABLE}=${MALLOC_TRIM_BYTES}`].join(':');
}

function tunableEntries(tunables: string | undefined): string[] {
  return (tunables ?? '').split(':').filter((e) => e.length > 0);
}

function setsTrimThreshold(tunables: string | undefined): boolean {
  return tunableEntries(tunables).some((e) => e.split('=')[0] === MALLOC_TRIM_TUNABLE);
}

/** The Node flag: V8 skips full GCs while the old generation is under 64 MB. */
export const HEAP_FLOOR_FLAG = '--initial-old-space-size=64';

/**
 * A warning for a process started without any floor on the old generation (`execArgv` is
 * the process's Node flags); null when it has one, ours or the operator's.
 */
export function heapFloorWarning(execArgv: readonly string[]): string | null {
  const name = HEAP_FLOOR_FLAG.split('=')[0]!;
  if (execArgv.some((a) => a === name || a.startsWith(`${name}=`))) return null;
  return (
    `Node was started without ${name}: a busy process may run a major garbage collection every 20–30 MB of body it moves. ` +
    `Start it as node ${HEAP_FLOOR_FLAG} (the Docker image and npm start do; docs/performance.md)`
  );
}

/** The glibc version this process runs on, or null (musl, not Linux). */
export function runningGlibc(): string | null {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ?? null;
}

/**
 * A warning for a process on glibc started without a trim threshold; null when there is
 * nothing to say. `glibc` is asked only when the threshold is missing: it builds a whole
 * diagnostic report, work a correctly started process need not do.
 */
export function mallocWarning(tunables: string | undefined, glibc: () => string | null): string | null {
  if (setsTrimThreshold(tunables) || glibc() === null) return null;
  return (
    `GLIBC_TUNABLES sets no ${MALLOC_TRIM_TUNABLE}: large transfers may spend several times the CPU per MB in page faults. ` +
    `Start the process with GLIBC_TUNABLES=${withMallocTunables(tunables)} (the Docker image and npm start do; docs/performance.md)`
  );
}
