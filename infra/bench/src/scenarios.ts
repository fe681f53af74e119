// What is measured. Every scenario runs the same client code against whatever endpoint it
// is given — the backend directly, a pass-through proxy in front of it, or the gateway — so
// the columns differ only by what sits between client and backend. Setup (objects a GET
// needs) happens in `prepare`, outside the measured phase.
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { runLoad, type LoadResult } from './load.js';
import { patternBuffer, patternStream } from './pattern.js';
import { formatSize, type BenchProfile } from './profiles.js';
import { recordTimeToLastByte, type ChecksumMode } from './s3-client.js';

/**
 * Where the client sends its requests: the backend itself, a minimal Node pass-through proxy
 * in front of it (what any extra hop costs on this machine), or the gateway in front of it.
 */
export type Side = 'direct' | 'proxy' | 'gateway';

/** What a scenario's headline figure is. */
export type Metric =
  /** operations per second, with latency percentiles */
  | 'ops'
  /** payload MB/s (10^6 bytes) */
  | 'throughput'
  /** latency percentiles only: the figure is absolute, there is nothing direct to compare with */
  | 'latency';

export interface Endpoint {
  side: Side;
  s3: S3Client;
  /** the bucket scenarios write to and read from */
  bucket: string;
  /** a bucket seeded with `objects` objects for LIST (gateway only) */
  listing: { s3: S3Client; bucket: string; objects: number } | null;
}

/**
 * One slice of a measured phase; it calls `measuring` when its warm-up is over, so the CPU
 * measured around it covers the operations it counts and not the warm-up's.
 */
export type Phase = (measuring: () => void) => Promise<PhaseResult>;

/** What a measured phase produced. */
export interface PhaseResult extends LoadResult {
  /** per operation, request sent → last response byte, before the SDK parses it (LIST only) */
  timeToLastByteMs?: number[];
}

export interface Scenario {
  /** stable across profiles, e.g. `put-small-c16` */
  id: string;
  /** with this profile's sizes, e.g. `PUT 4 KiB, concurrency 16` */
  title: string;
  metric: Metric;
  sides: readonly Side[];
  /** the gateway client's checksum mode; the direct and proxy clients always send plain bodies */
  gatewayChecksums: ChecksumMode;
  /**
   * The measured phase is run this many times per side, the sides taking turns, and the
   * slices are added up: a change of load on the (shared) machine then hits every side alike
   * instead of whichever happened to run at that moment.
   */
  slices: number;
  /** Untimed setup; resolves to one slice of the measured phase. */
  prepare(endpoint: Endpoint): Promise<Phase>;
}

const ALL_SIDES: readonly Side[] = ['direct', 'proxy', 'gateway'];
/** Concurrency of untimed setup writes. */
const SETUP_CONCURRENCY = 8;

export function buildScenarios(profile: BenchProfile): Scenario[] {
  const small = profile.small;
  const large = profile.large;
  const smallSize = formatSize(small.objectBytes);
  const largeSize = formatSize(large.objectBytes);
  // Per slice.
  const smallLoad = { durationMs: small.durationMs / small.slices, warmupMs: small.warmupMs, minOps: 1 };
  const largeLoad = (concurrency: number) => ({ durationMs: large.durationMs / large.slices, warmupMs: large.warmupMs, minOps: large.minOpsPerWorker * concurrency });
  const smallSlices = { slices: small.slices };
  const largeSlices = { slices: large.slices };
  const scenarios: Scenario[] = [];

  for (const c of [1, 16]) {
    scenarios.push({
      id: `put-small-c${c}`, title: `PUT ${smallSize}, concurrency ${c}`, metric: 'ops', sides: ALL_SIDES, gatewayChecksums: 'when-required', ...smallSlices,
      prepare: async (ep) => putPhase(ep, `put-small-c${c}`, small.objectBytes, { concurrency: c, ...smallLoad }),
    });
  }
  for (const c of [1, 16]) {
    scenarios.push({
      id: `get-small-c${c}`, title: `GET ${smallSize}, concurrency ${c}`, metric: 'ops', sides: ALL_SIDES, gatewayChecksums: 'when-required', ...smallSlices,
      prepare: async (ep) => {
        const keys = await writeObjects(ep, `get-small-c${c}`, small.readSetSize, small.objectBytes);
        return (measuring) => runLoad({ concurrency: c, ...smallLoad, onMeasureStart: measuring, op: (i) => getObject(ep, keys[i % keys.length]!, small.objectBytes) });
      },
    });
  }
  for (const c of [1, 16]) {
    scenarios.push({
      id: `head-small-c${c}`, title: `HEAD ${smallSize}, concurrency ${c}`, metric: 'ops', sides: ALL_SIDES, gatewayChecksums: 'when-required', ...smallSlices,
      prepare: async (ep) => {
        const keys = await writeObjects(ep, `head-small-c${c}`, small.readSetSize, small.objectBytes);
        return (measuring) => runLoad({ concurrency: c, ...smallLoad, onMeasureStart: measuring, op: (i) => headObject(ep, keys[i % keys.length]!, small.objectBytes) });
      },
    });
  }
  for (const c of [1, 4]) {
    scenarios.push({
      id: `put-large-c${c}`, title: `PUT ${largeSize}, concurrency ${c}`, metric: 'throughput', sides: ALL_SIDES, gatewayChecksums: 'when-required', ...largeSlices,
      prepare: async (ep) => putPhase(ep, `put-large-c${c}`, large.objectBytes, { concurrency: c, ...largeLoad(c) }),
    });
  }
  for (const c of [1, 4]) {
    scenarios.push({
      id: `get-large-c${c}`, title: `GET ${largeSize}, concurrency ${c}`, metric: 'throughput', sides: ALL_SIDES, gatewayChecksums: 'when-required', ...largeSlices,
      prepare: async (ep) => {
        const keys = await writeObjects(ep, `get-large-c${c}`, c, large.objectBytes);
        return (measuring) => runLoad({ concurrency: c, ...largeLoad(c), onMeasureStart: measuring, op: (i) => getObject(ep, keys[i % keys.length]!, large.objectBytes) });
      },
    });
  }
  const uploads = profile.concurrentUploads;
  scenarios.push({
    id: 'put-concurrent', title: `${uploads.count} concurrent PUTs of ${formatSize(uploads.objectBytes)}`, metric: 'throughput', sides: ALL_SIDES,
    gatewayChecksums: 'when-required', slices: 1,
    prepare: async (ep) => putPhase(ep, 'put-concurrent', uploads.objectBytes, { concurrency: uploads.count, durationMs: 0, minOps: uploads.count, maxOps: uploads.count }),
  });
  // The SDK's default checksums: CRC32 on every upload, streamed bodies as aws-chunked with a
  // trailer that the gateway decodes and verifies. Backends get plain bodies either way, and
  // the direct and proxy columns stay plain-body figures: the ratio is the whole cost of the default.
  scenarios.push({
    id: 'put-small-c16-sdk-default', title: `PUT ${smallSize}, concurrency 16, SDK default checksums via gateway`, metric: 'ops', sides: ALL_SIDES,
    gatewayChecksums: 'default', ...smallSlices,
    prepare: async (ep) => putPhase(ep, 'put-small-c16-sdk-default', small.objectBytes, { concurrency: 16, ...smallLoad }),
  });
  scenarios.push({
    id: 'put-large-c1-sdk-default', title: `PUT ${largeSize}, concurrency 1, SDK default checksums via gateway`, metric: 'throughput', sides: ALL_SIDES,
    gatewayChecksums: 'default', ...largeSlices,
    prepare: async (ep) => putPhase(ep, 'put-large-c1-sdk-default', large.objectBytes, { concurrency: 1, ...largeLoad(1) }),
  });
  const list = profile.list;
  scenarios.push({
    id: 'list', title: `LIST ${list.pageSize}-key pages of a ${list.objects.toLocaleString('en-US')}-object bucket`, metric: 'latency',
    sides: ['gateway'], gatewayChecksums: 'when-required', slices: 1,
    prepare: (ep) => listPhase(ep, list.pageSize, list.pages),
  });
  return scenarios;
}

function putPhase(
  ep: Endpoint,
  prefix: string,
  size: number,
  load: { concurrency: number; durationMs: number; minOps: number; maxOps?: number; warmupMs?: number },
): Phase {
  // Small bodies are one shared buffer (as an application holding the bytes sends them);
  // large ones stream, as an application uploading a file does.
  const shared = size <= 1024 * 1024 ? patternBuffer(size) : null;
  // Counted across slices: every PUT creates a new key, never an overwrite.
  let next = 0;
  return (measuring) => runLoad({ ...load, onMeasureStart: measuring, op: () => putObject(ep, `${prefix}/${next++}`, size, shared) });
}

async function putObject(ep: Endpoint, key: string, size: number, shared: Buffer | null): Promise<number> {
  await ep.s3.send(new PutObjectCommand({
    Bucket: ep.bucket, Key: key, ContentLength: size, Body: shared ?? patternStream(size),
  }));
  return size;
}

async function getObject(ep: Endpoint, key: string, size: number): Promise<number> {
  const res = await ep.s3.send(new GetObjectCommand({ Bucket: ep.bucket, Key: key }));
  let received = 0;
  for await (const chunk of res.Body as Readable) received += (chunk as Buffer).length;
  if (received !== size) throw new Error(`GET ${key}: ${received} bytes received, ${size} expected`);
  return received;
}

async function headObject(ep: Endpoint, key: string, size: number): Promise<number> {
  const res = await ep.s3.send(new HeadObjectCommand({ Bucket: ep.bucket, Key: key }));
  if (res.ContentLength !== size) throw new Error(`HEAD ${key}: Content-Length ${res.ContentLength}, ${size} expected`);
  return 0;
}

/** Writes `count` objects (untimed setup); returns their keys. */
async function writeObjects(ep: Endpoint, prefix: string, count: number, size: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}/obj-${i}`);
  const shared = size <= 1024 * 1024 ? patternBuffer(size) : null;
  const setup = await runLoad({
    concurrency: Math.min(SETUP_CONCURRENCY, count), durationMs: 0, minOps: count, maxOps: count,
    op: async (i) => putObject(ep, keys[i]!, size, shared),
  });
  if (setup.errors > 0) throw new Error(`setup of ${prefix} failed: ${setup.firstError}`);
  return keys;
}

/** Unmeasured pages first (connections, JIT, SQLite page cache). */
const LIST_WARMUP_PAGES = 5;

/**
 * Walks the seeded bucket page by page, wrapping around at its end; one operation is one
 * page. A walk that does not see exactly the seeded number of keys is an error.
 */
async function listPhase(ep: Endpoint, pageSize: number, pages: number): Promise<Phase> {
  const listing = ep.listing;
  if (!listing) throw new Error('the LIST scenario needs a seeded listing bucket');
  let token: string | undefined;
  let seenInWalk = 0;
  const page = async (): Promise<number> => {
    const res = await listing.s3.send(new ListObjectsV2Command({ Bucket: listing.bucket, MaxKeys: pageSize, ContinuationToken: token }));
    seenInWalk += res.KeyCount ?? 0;
    if (res.IsTruncated) {
      token = res.NextContinuationToken;
      return 0;
    }
    const seen = seenInWalk;
    token = undefined;
    seenInWalk = 0;
    if (seen !== listing.objects) throw new Error(`a full walk of ${listing.bucket} listed ${seen} keys, ${listing.objects} were seeded`);
    return 0;
  };
  for (let i = 0; i < LIST_WARMUP_PAGES; i++) await page();
  return async () => {
    const timeToLastByteMs: number[] = [];
    const unhook = recordTimeToLastByte(listing.s3, (ms) => timeToLastByteMs.push(ms));
    try {
      const load = await runLoad({ concurrency: 1, durationMs: 0, minOps: pages, maxOps: pages, op: page });
      return { ...load, timeToLastByteMs };
    } finally {
      unhook();
    }
  };
}
