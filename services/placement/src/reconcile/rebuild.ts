// Rebuilding the ledger from what the backends hold (the CLI's `s3-orchestrator rebuild`,
// docs/architecture.md §4 "Rebuilding the ledger from the backends"). Two phases:
//
//  1. walk: every backend's listing, all backends at once, page by page; each key is either a
//     delete marker (noted) or looked at with a HEAD (32 at a time per backend by default) — what every
//     stored object carries (x-amz-meta-s3o-*) says which bucket, key and write it belongs to.
//  2. decide, per object key: the newest write (write ids are ULIDs: they sort by time) that
//     has a whole copy somewhere is the object — unless a delete marker names one of its
//     copies: then the key stays deleted. Every whole copy of that write is recorded (the
//     identity is taken from the copy stamped last, x-amz-meta-s3o-seq); everything else of
//     the key — older writes, cut-off bytes, deleted writes — is owed to cleanup, and so are
//     markers whose bytes are already gone. Keys of no write of ours (foreign keys) are left
//     alone and counted (`sync` imports those); so are keys naming a bucket the configuration
//     does not have.
//
// The ledger side (core/import.ts rebuildObjects) never overwrites and skips storage keys a
// record accounts for, so an interrupted rebuild is resumed by running it again (--force).
import { BackendUnsupportedError, type BackendClient, type ObjectInfo } from '@s3o/backends';
import type { CleanupDebt, ObjectIdentity, ReadLedger, RebuildLedger, RebuildObjectRequest } from '@s3o/store';
import { DELETED_REASON, idTime, keyOfStoragePath, markedBy, storageKeyHash } from '@s3o/store';
import { forEachBounded } from './bounded.js';
import { reconcileTarget } from './import-target.js';
import { ownWriteId } from './own-keys.js';
import { storedBucket, storedIdentity } from './stored-identity.js';

const PAGE_SIZE = 1000;
/**
 * HEADs in flight per backend unless told otherwise. Against a provider a HEAD costs a round
 * trip (tens of ms), so the walk's speed is this many times the round trip's inverse; a local
 * s3rver is bound by its own CPU long before (docs/performance.md, "Ledger rebuild").
 */
export const REBUILD_HEADS_PER_BACKEND = 32;
/** Objects per ledger transaction. */
const REBUILD_BATCH = 200;
export const REBUILD_PROGRESS_EVERY = 1000;

export interface RebuildRequest {
  ledger: RebuildLedger & ReadLedger;
  clients: BackendClient[];
  /** the configured virtual buckets */
  buckets: ReadonlySet<string>;
  dryRun: boolean;
  /**
   * Backends that may be unreachable: they are left out of this run (reported in `missing`)
   * instead of refusing it. A backend named here that answers is walked as usual.
   */
  allowMissing?: ReadonlySet<string>;
  /** HEADs in flight per backend (default REBUILD_HEADS_PER_BACKEND) */
  headsPerBackend?: number;
  /** a line per REBUILD_PROGRESS_EVERY keys of a backend, and per ledger batch */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface RebuildReport {
  listed: number;
  heads: number;
  objects: number;
  copies: number;
  bytes: number;
  /** keys whose copies told of more than one write (overwrites not yet cleaned up, interrupted writes) */
  conflicts: number;
  /** keys that stay deleted because a delete marker names their newest write */
  deleted: number;
  debts: number;
  debtBytes: number;
  markers: number;
  /** keys of no write of ours: left alone (`sync` imports them) */
  foreign: number;
  /** keys of ours naming a bucket the configuration does not have, or nothing to name them by */
  unknownBucket: number;
  /** keys that could not be looked at: nothing was written (run again) */
  failed: number;
  /** records an earlier, interrupted run already made */
  alreadyThere: number;
  /** backends left out: unreachable and allowed to be (`allowMissing`), with what the probe said */
  missing: Array<{ backend: string; error: string }>;
  /** keys already recorded (an earlier run) with another write than the newest found: left as recorded */
  otherWrite: number;
  /** open multipart uploads of our form found on the backends, aborted, and owed to cleanup (the abort failed) */
  uploads: number;
  uploadsAborted: number;
  uploadsOwed: number;
  /** backends that cannot list uploads (ListMultipartUploads answered 405/501): their uploads are the provider's lifecycle rule's */
  uploadsUnlisted: string[];
}

/** Backends that did not answer the probe and were not allowed to be missing: the rebuild did nothing. */
export class MissingBackendsError extends Error {
  override name = 'MissingBackendsError';
  constructor(readonly missing: Array<{ backend: string; error: string }>) {
    super(`unreachable: ${missing.map((m) => `${m.backend} (${m.error})`).join(', ')}`);
  }
}

export type Marks = { storageKey: string } | { hash: string };

export interface Found {
  backend: string;
  storageKey: string;
  info: ObjectInfo;
}

/**
 * Markers whose bytes are gone already from their backend: only the marker is left to delete,
 * each a 0-byte debt. `present`: `${backend}\n${storage key}` of everything found; `hashed`:
 * some marker names its bytes by hash (a long storage key).
 */
export function orphanMarkerDebts(
  found: readonly Found[], present: ReadonlySet<string>, marks: ReadonlyMap<string, { markers: Array<{ key: string; marks: Marks }> }>, hashed: boolean,
): CleanupDebt[] {
  const presentHashes = new Set(hashed ? found.map((f) => `${f.backend}\n${storageKeyHash(f.storageKey)}`) : []);
  const debts: CleanupDebt[] = [];
  for (const [backend, m] of marks) {
    for (const marker of m.markers) {
      const stillThere = 'storageKey' in marker.marks
        ? present.has(`${backend}\n${marker.marks.storageKey}`)
        : presentHashes.has(`${backend}\n${marker.marks.hash}`);
      if (!stillThere) debts.push({ kind: 'object', backendName: backend, storageKey: marker.key, objectKey: null, reason: 'rebuild-marker', sizeBytes: 0 });
    }
  }
  return debts;
}

export interface Write {
  writeId: string;
  copies: Found[];
}

/**
 * What the walk found, by object key, then by write (the write id in the stored metadata, or
 * the one in our storage key); keys of no write of ours and of buckets not configured are
 * counted in `counts` and left out.
 */
export function groupByWrite(
  found: readonly Found[], buckets: ReadonlySet<string>, counts: { foreign: number; unknownBucket: number },
): Map<string, Map<string, Write>> {
  const byKey = new Map<string, Map<string, Write>>();
  for (const f of found) {
    const writeId = f.info.metadata['s3o-write'] ?? ownWriteId(f.storageKey);
    if (writeId === null) {
      counts.foreign++;
      continue;
    }
    const objectKey = objectKeyOf(f, buckets);
    if (objectKey === null) {
      counts.unknownBucket++;
      continue;
    }
    let writes = byKey.get(objectKey);
    if (!writes) byKey.set(objectKey, (writes = new Map()));
    let write = writes.get(writeId);
    if (!write) writes.set(writeId, (write = { writeId, copies: [] }));
    write.copies.push(f);
  }
  return byKey;
}

export async function rebuildLedger(r: RebuildRequest): Promise<RebuildReport> {
  const report: RebuildReport = {
    listed: 0, heads: 0, objects: 0, copies: 0, bytes: 0, conflicts: 0, deleted: 0, debts: 0, debtBytes: 0, markers: 0,
    foreign: 0, unknownBucket: 0, failed: 0, alreadyThere: 0, missing: [], otherWrite: 0,
    uploads: 0, uploadsAborted: 0, uploadsOwed: 0, uploadsUnlisted: [],
  };
  // Every backend is probed first: a backend that cannot be walked would make the rebuild
  // decide without its copies and markers, so it is refused unless the operator allows it.
  const probes = await Promise.all(r.clients.map(async (client) => {
    try {
      await client.headBucket({ signal: r.signal });
      return null;
    } catch (err) {
      r.signal?.throwIfAborted();
      return { backend: client.name, error: err instanceof Error ? err.message : String(err) };
    }
  }));
  const unreachable = probes.filter((p) => p !== null);
  const refused = unreachable.filter((p) => !r.allowMissing?.has(p.backend));
  if (refused.length > 0) throw new MissingBackendsError(refused);
  report.missing = unreachable;
  const walked = r.clients.filter((c) => !unreachable.some((u) => u.backend === c.name));
  const found: Found[] = [];
  /** per backend: storage keys a marker names (and hashes of long ones), and the markers' own keys */
  const marks = new Map<string, { keys: Set<string>; hashes: Set<string>; markers: Array<{ key: string; marks: Marks }> }>();
  const uploads: Array<{ backend: string; storageKey: string; uploadId: string }> = [];
  await Promise.all(walked.map(async (client) => {
    await walkBackend(r, client, found, marks, report);
    await findUploads(r, client, uploads, report);
  }));

  // A marker names a storage key, which is unique to one write or replica: it counts on
  // whichever backend it was found (the gateway falls back to another backend when the
  // copy's own cannot take it).
  const markedKeys = new Set([...marks.values()].flatMap((m) => [...m.keys]));
  const markedHashes = new Set([...marks.values()].flatMap((m) => [...m.hashes]));
  const isMarked = (f: Found) => markedKeys.has(f.storageKey) || (markedHashes.size > 0 && markedHashes.has(storageKeyHash(f.storageKey)));
  const debts: CleanupDebt[] = [];
  const owe = (f: Found, reason: string, objectKey: string | null) => {
    debts.push({ kind: 'object', backendName: f.backend, storageKey: f.storageKey, objectKey, reason, sizeBytes: f.info.size });
  };

  const byKey = groupByWrite(found, r.buckets, report);

  const objects: RebuildObjectRequest[] = [];
  for (const [objectKey, writes] of byKey) {
    if (writes.size > 1) report.conflicts++;
    const newestFirst = [...writes.values()].sort((a, b) => (a.writeId < b.writeId ? 1 : a.writeId > b.writeId ? -1 : 0));
    const live = newestFirst.find((w) => w.copies.some(isWhole)) ?? null;
    const dead = live !== null && live.copies.some(isMarked);
    if (dead) report.deleted++;
    for (const write of newestFirst) {
      if (write === live && !dead) {
        const whole = write.copies.filter(isWhole);
        const stamp = newestStamp(whole);
        const identity: ObjectIdentity = storedIdentity(stamp.info);
        // Copies of one write hold the same bytes; one that does not match the stamp's size is cut off.
        const sameSize = whole.filter((c) => c.info.size === stamp.info.size);
        // An object has at most one copy per backend (the ledger's rule); a second whole copy of
        // the write on one backend (a replica whose commit never happened) is surplus bytes.
        const copies: Found[] = [];
        for (const c of [stamp, ...sameSize.filter((c) => c !== stamp)]) {
          if (c.info.size !== stamp.info.size) continue;
          if (copies.some((k) => k.backend === c.backend)) owe(c, 'rebuild-duplicate', objectKey);
          else copies.push(c);
        }
        for (const c of write.copies) if (!sameSize.includes(c) && c !== stamp) owe(c, 'rebuild-incomplete', objectKey);
        objects.push({
          objectKey, writeId: write.writeId, createdAt: timeOf(write.writeId, stamp.info), identity,
          copies: copies.map((c) => ({ backendName: c.backend, storageKey: c.storageKey })),
        });
        report.copies += copies.length;
        report.bytes += copies.length * stamp.info.size;
        continue;
      }
      // Deleted (its copies' markers go after the bytes: the DELETED_REASON debt removes them),
      // overwritten, or never finished.
      const reason = write === live || write.copies.some(isMarked) ? DELETED_REASON : write.writeId > (live?.writeId ?? '') ? 'rebuild-incomplete' : 'rebuild-superseded';
      for (const c of write.copies) owe(c, reason, objectKey);
    }
  }
  report.objects = objects.length;
  report.uploadsUnlisted.sort();

  // (A fallback marker, on another backend than its bytes, is owed too: cleanup removes only the one beside the bytes.)
  const present = new Set(found.map((f) => `${f.backend}\n${f.storageKey}`));
  debts.push(...orphanMarkerDebts(found, present, marks, markedHashes.size > 0));
  // Open uploads of our form: the ledger that knew them is gone, so no client can complete one
  // (NoSuchUpload); abort them now, and owe the ones whose abort failed so cleanup retries.
  // An upload at a key that holds an object (a backend that kept listing a completed upload)
  // is never owed: a debt there would delete the object's bytes.
  for (const u of uploads) {
    if (r.dryRun || report.failed > 0) break;
    try {
      const client = walked.find((c) => c.name === u.backend)!;
      await client.abortMultipartUpload(u.storageKey, u.uploadId, { signal: r.signal });
      report.uploadsAborted++;
    } catch (err) {
      r.signal?.throwIfAborted();
      r.onProgress?.(`${u.backend}: aborting upload ${u.uploadId} at ${u.storageKey}: ${err instanceof Error ? err.message : String(err)}`);
      if (present.has(`${u.backend}\n${u.storageKey}`)) continue;
      debts.push({ kind: 'multipart_upload', backendName: u.backend, storageKey: u.storageKey, backendUploadId: u.uploadId, objectKey: null, reason: 'rebuild-open-upload', sizeBytes: 0 });
      report.uploadsOwed++;
    }
  }
  report.debts = debts.length;
  report.debtBytes = debts.reduce((n, d) => n + d.sizeBytes, 0);
  // A key that could not be looked at may be the newest write of its object: deciding without
  // it could bring back an older one. Nothing is written; the operator runs it again.
  if (r.dryRun || report.failed > 0) return report;

  // Debts first (they hold no object), then the objects, a batch per transaction.
  for (let i = 0; i < debts.length; i += REBUILD_BATCH * 5) {
    r.signal?.throwIfAborted();
    const outcome = await r.ledger.rebuildObjects([], debts.slice(i, i + REBUILD_BATCH * 5));
    report.alreadyThere += debts.slice(i, i + REBUILD_BATCH * 5).length - outcome.debts;
  }
  for (let i = 0; i < objects.length; i += REBUILD_BATCH) {
    r.signal?.throwIfAborted();
    const outcome = await r.ledger.rebuildObjects(objects.slice(i, i + REBUILD_BATCH), []);
    report.alreadyThere += outcome.alreadyThere;
    report.otherWrite += outcome.otherWrite.length;
    for (const o of outcome.otherWrite) r.onProgress?.(`${o.objectKey}: recorded as write ${o.recorded}, found write ${o.found}: left as recorded`);
    const done = Math.min(i + REBUILD_BATCH, objects.length);
    if (done % (REBUILD_BATCH * 10) === 0 || done === objects.length) r.onProgress?.(`recorded ${done}/${objects.length} objects`);
  }
  return report;
}

export async function walkBackend(
  r: RebuildRequest, client: BackendClient, found: Found[],
  marks: Map<string, { keys: Set<string>; hashes: Set<string>; markers: Array<{ key: string; marks: Marks }> }>, report: RebuildReport,
): Promise<void> {
  const m = { keys: new Set<string>(), hashes: new Set<string>(), markers: [] as Array<{ key: string; marks: Marks }> };
  marks.set(client.name, m);
  let listed = 0;
  const list = (continuationToken: string | undefined) => {
    const p = client.listObjects({ continuationToken, maxKeys: PAGE_SIZE, signal: r.signal });
    p.catch(() => undefined); // awaited below; a walk that stops early must not leave it unhandled
    return p;
  };
  let next: ReturnType<typeof list> | null = list(undefined);
  while (next !== null) {
    let page;
    try {
      page = await next;
    } catch (err) {
      // The rest of this backend is unknown: the run decides nothing (exit 2, run again).
      r.signal?.throwIfAborted();
      report.failed++;
      r.onProgress?.(`${client.name}: listing after ${listed} keys: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    // The next page is fetched while this one's keys are looked at.
    next = page.nextToken ? list(page.nextToken) : null;
    const toHead: string[] = [];
    for (const { key } of page.keys) {
      const marked = markedBy(key);
      if (marked === null) {
        toHead.push(key);
        continue;
      }
      report.markers++;
      if ('storageKey' in marked) m.keys.add(marked.storageKey);
      else m.hashes.add(marked.hash);
      m.markers.push({ key, marks: marked });
    }
    await forEachBounded(toHead, r.headsPerBackend ?? REBUILD_HEADS_PER_BACKEND, async (storageKey) => {
      try {
        report.heads++;
        const info = await client.headObject(storageKey, { signal: r.signal });
        if (info) found.push({ backend: client.name, storageKey, info });
      } catch (err) {
        if (r.signal?.aborted) throw err;
        report.failed++;
        r.onProgress?.(`${client.name}: ${storageKey}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, r.signal);
    r.signal?.throwIfAborted();
    const before = listed;
    listed += page.keys.length;
    report.listed += page.keys.length;
    if (Math.floor(before / REBUILD_PROGRESS_EVERY) !== Math.floor(listed / REBUILD_PROGRESS_EVERY) || !page.nextToken) {
      r.onProgress?.(`${client.name}: listed ${listed} keys${page.nextToken ? '' : ' (done)'}`);
    }
  }
}

/** The open multipart uploads of our form on one backend (keys ending in `!<write id>`; others are not ours). */
async function findUploads(
  r: RebuildRequest, client: BackendClient, uploads: Array<{ backend: string; storageKey: string; uploadId: string }>, report: RebuildReport,
): Promise<void> {
  let listed;
  try {
    listed = await client.listUploads('', { signal: r.signal });
  } catch (err) {
    r.signal?.throwIfAborted();
    if (!(err instanceof BackendUnsupportedError)) {
      report.failed++;
      r.onProgress?.(`${client.name}: listing multipart uploads: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    report.uploadsUnlisted.push(client.name);
    r.onProgress?.(`${client.name}: cannot list multipart uploads (${err.message}): the provider's abort-incomplete-uploads rule must remove them`);
    return;
  }
  for (const u of listed) {
    if (ownWriteId(u.key) === null) continue;
    uploads.push({ backend: client.name, storageKey: u.key, uploadId: u.uploadId });
    report.uploads++;
  }
}

/** A copy whose bytes are all there: the size the write announced, when it announced one (multipart uploads do not). */
export function isWhole(f: Found): boolean {
  const announced = f.info.metadata['s3o-size'];
  return announced === undefined || Number(announced) === f.info.size;
}

/** The copy whose metadata was stamped last (x-amz-meta-s3o-seq, write/restamp.ts in the gateway); the first when none was. */
export function newestStamp(copies: Found[]): Found {
  return copies.reduce((best, c) => ((c.info.metadata['s3o-seq'] ?? '') > (best.info.metadata['s3o-seq'] ?? '') ? c : best));
}

/** When the write started: its id's time (a ULID), else the backend's Last-Modified. */
export function timeOf(writeId: string, info: ObjectInfo): number {
  try {
    return idTime(writeId);
  } catch {
    return info.lastModified?.getTime() ?? Date.now();
  }
}

/** `{bucket}/{key}` of a copy of ours: the bucket from its metadata, the key from x-amz-meta-s3o-key or its storage path. */
export function objectKeyOf(f: Found, buckets: ReadonlySet<string>): string | null {
  const target = reconcileTarget(f.storageKey, storedBucket(f.info), buckets);
  if (!('bucket' in target)) return null;
  const encoded = f.info.metadata['s3o-key'];
  if (encoded !== undefined) {
    try {
      return `${target.bucket}/${decodeURIComponent(encoded)}`;
    } catch {
      // fall through to the storage path
    }
  }
  // `{bucket}/{storage path}!{id}`; a hashed path (`!h/…`, keys past 1 KiB) names no key without the metadata.
  const path = target.key.replace(/![0-9A-HJKMNP-TV-Z]{26}$/, '');
  if (path.startsWith('!h/')) return null;
  return `${target.bucket}/${keyOfStoragePath(path)}`;
}
