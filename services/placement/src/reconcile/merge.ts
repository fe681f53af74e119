// Post-restore recovery (`s3-orchestrator rebuild --merge`, docs/architecture.md §4 "Recovering
// the writes made since a backup"). A restored ledger is behind the backends: writes made
// since the backup are there under our own keys but in no record, and keys deleted or
// overwritten since still hold their old objects. The backends are walked as a rebuild walks
// them (rebuild.ts walkBackend), then each object key is compared with the ledger:
//
//  * the newest whole write found is newer than the ledger's (write ids are ULIDs: they sort
//    by time) → it is adopted, replacing the ledger's object — unless a delete marker names one
//    of its copies: then the key was deleted since, and the ledger's object is removed;
//  * the ledger's own write is found with a marker → deleted since: removed;
//  * the ledger's write is the newest and found, but on other copies than recorded (replicas
//    made, copies moved since) → its copies are set to those found;
//  * no byte of the ledger's write is on any backend, and no newer write is → deleted since
//    and cleaned up (or lost, which a restored ledger cannot tell apart): removed, and counted;
//  * otherwise the ledger's object stays.
// Whatever else of ours the backends hold for the key (older writes, cut-off bytes, deleted
// writes, markers whose bytes are gone) is owed to cleanup, as a rebuild owes it. Keys the ledger
// accounts for (copies, intents, debts, uploads) are never owed.
import type { BackendClient } from '@s3o/backends';
import type { CleanupDebt, LocationRow, MergeKeyRequest, ReadLedger, RebuildLedger, RebuildObjectRequest } from '@s3o/store';
import { DELETED_REASON, storageKeyHash } from '@s3o/store';
import { storedIdentity } from './stored-identity.js';
import { groupByWrite, isWhole, orphanMarkerDebts, newestStamp, timeOf, walkBackend, type Found, type Marks, type RebuildReport, type Write } from './rebuild.js';

/** Keys per ledger transaction. */
const MERGE_BATCH = 200;
const LEDGER_PAGE = 1000;

export interface MergeRequest {
  ledger: RebuildLedger & ReadLedger;
  clients: BackendClient[];
  /** the configured virtual buckets */
  buckets: ReadonlySet<string>;
  dryRun: boolean;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface MergeReport {
  listed: number;
  heads: number;
  markers: number;
  /** keys the ledger did not have, recorded from the backends */
  added: number;
  /** keys whose ledger object a newer write replaced */
  replaced: number;
  /** keys whose write is the ledger's, with the copies found recorded instead of those in the ledger */
  recopied: number;
  /** keys deleted since the restore point (a delete marker names their newest write): removed */
  deleted: number;
  /** keys none of whose bytes is on any backend: removed (deleted and cleaned up since, or lost) */
  vanished: number;
  /** the first keys vanished, for the operator to look at */
  vanishedKeys: string[];
  /** keys whose object changed while the merge ran: left alone (run again) */
  changed: number;
  debts: number;
  debtBytes: number;
  foreign: number;
  unknownBucket: number;
  /** keys that could not be looked at: nothing was written (run again) */
  failed: number;
}

export async function mergeFromBackends(r: MergeRequest): Promise<MergeReport> {
  const walk: RebuildReport = {
    listed: 0, heads: 0, objects: 0, copies: 0, bytes: 0, conflicts: 0, deleted: 0, debts: 0, debtBytes: 0, markers: 0,
    foreign: 0, unknownBucket: 0, failed: 0, alreadyThere: 0, missing: [], otherWrite: 0,
    uploads: 0, uploadsAborted: 0, uploadsOwed: 0, uploadsUnlisted: [],
  };
  const found: Found[] = [];
  const marks = new Map<string, { keys: Set<string>; hashes: Set<string>; markers: Array<{ key: string; marks: Marks }> }>();
  await Promise.all(r.clients.map((client) => walkBackend({ ...r, ledger: r.ledger }, client, found, marks, walk)));
  const report: MergeReport = {
    listed: walk.listed, heads: walk.heads, markers: walk.markers, added: 0, replaced: 0, recopied: 0, deleted: 0, vanished: 0,
    vanishedKeys: [], changed: 0, debts: 0, debtBytes: 0, foreign: 0, unknownBucket: 0, failed: walk.failed,
  };

  // A marker names a storage key (unique to a write or replica), on whichever backend it is.
  const markedKeys = new Set([...marks.values()].flatMap((m) => [...m.keys]));
  const markedHashes = new Set([...marks.values()].flatMap((m) => [...m.hashes]));
  const isMarked = (storageKey: string) => markedKeys.has(storageKey) || (markedHashes.size > 0 && markedHashes.has(storageKeyHash(storageKey)));
  /** storage key → the backend of its marker, for markers not beside their bytes */
  const markerOn = new Map<string, string>();
  for (const [backend, m] of marks) for (const key of m.keys) markerOn.set(key, backend);
  const present = new Set(found.map((f) => `${f.backend}\n${f.storageKey}`));
  const walked = new Set(r.clients.map((c) => c.name));
  // A copy on a backend not walked (not configured now) counts as there: its absence is not seen.
  const isPresent = (l: LocationRow) => !walked.has(l.backendName) || present.has(`${l.backendName}\n${l.storageKey}`);

  const byKey = groupByWrite(found, r.buckets, report);

  // The ledger's side: every object with its copies (the orchestrator is stopped: nothing moves).
  const ledgerObjects = new Map<string, { writeId: string; locations: LocationRow[] }>();
  for (let from = ''; ;) {
    r.signal?.throwIfAborted();
    const page = await r.ledger.listRange({ from, to: null, limit: LEDGER_PAGE });
    for (const entry of page) {
      const got = await r.ledger.getObject(entry.objectKey);
      if (got) ledgerObjects.set(entry.objectKey, { writeId: got.object.writeId, locations: got.locations });
    }
    const last = page.at(-1);
    if (!last || page.length < LEDGER_PAGE) break;
    from = `${last.objectKey}\u0000`;
  }

  const decisions: MergeKeyRequest[] = [];
  const debts: CleanupDebt[] = [];
  const owe = (f: Found, reason: string, objectKey: string) =>
    debts.push({ kind: 'object', backendName: f.backend, storageKey: f.storageKey, objectKey, reason, sizeBytes: f.info.size });
  const markersOf = (locations: LocationRow[]) => new Map(locations.flatMap((l) => {
    const on = markerOn.get(l.storageKey);
    return on !== undefined && on !== l.backendName ? [[l.storageKey, on] as const] : [];
  }));

  for (const objectKey of new Set([...byKey.keys(), ...ledgerObjects.keys()])) {
    const ledger = ledgerObjects.get(objectKey) ?? null;
    const writes = byKey.get(objectKey) ?? new Map<string, Write>();
    const newestFirst = [...writes.values()].sort((a, b) => (a.writeId < b.writeId ? 1 : a.writeId > b.writeId ? -1 : 0));
    const live = newestFirst.find((w) => w.copies.some(isWhole)) ?? null;
    const dead = live !== null && live.copies.some((c) => isMarked(c.storageKey));
    const expectWriteId = ledger?.writeId ?? null;
    /** `${backend}\n${storage key}` of the copies the ledger keeps for the key: never owed */
    let kept = new Set<string>();

    if (live && (ledger === null || live.writeId >= ledger.writeId)) {
      if (dead) {
        if (ledger) {
          decisions.push({ objectKey, expectWriteId, adopt: null, markersElsewhere: markersOf(ledger.locations) });
          report.deleted++;
        }
      } else {
        const adopt = adoption(objectKey, live);
        const same = ledger !== null && live.writeId === ledger.writeId
          && sameCopies(adopt.copies, ledger.locations);
        kept = new Set(adopt.copies.map((c) => `${c.backendName}\n${c.storageKey}`));
        if (!same) {
          decisions.push({ objectKey, expectWriteId, adopt });
          if (ledger === null) report.added++;
          else if (live.writeId === ledger.writeId) report.recopied++;
          else report.replaced++;
        }
      }
    } else if (ledger && !ledger.locations.some(isPresent)) {
      decisions.push({ objectKey, expectWriteId, adopt: null, markersElsewhere: markersOf(ledger.locations) });
      report.vanished++;
      if (report.vanishedKeys.length < 20) report.vanishedKeys.push(objectKey);
    } else if (ledger) {
      kept = new Set(ledger.locations.map((l) => `${l.backendName}\n${l.storageKey}`));
    }

    // Everything else of ours for the key is owed (the ledger skips keys it accounts for).
    for (const write of newestFirst) {
      for (const c of write.copies) {
        if (kept.has(`${c.backend}\n${c.storageKey}`)) continue;
        owe(c, write.copies.some((x) => isMarked(x.storageKey)) ? DELETED_REASON : 'restore-leftover', objectKey);
      }
    }
  }

  // Markers whose bytes are gone already: only the marker is left to delete.
  debts.push(...orphanMarkerDebts(found, present, marks, markedHashes.size > 0));
  report.debts = debts.length;
  report.debtBytes = debts.reduce((n, d) => n + d.sizeBytes, 0);
  // A key that could not be looked at may hold the newest write of its object: nothing is written.
  if (r.dryRun || report.failed > 0) return report;

  for (let i = 0; i < decisions.length; i += MERGE_BATCH) {
    r.signal?.throwIfAborted();
    const outcome = await r.ledger.mergeObjects(decisions.slice(i, i + MERGE_BATCH), []);
    report.changed += outcome.changed;
    r.onProgress?.(`merged ${Math.min(i + MERGE_BATCH, decisions.length)}/${decisions.length} keys`);
  }
  // Debts after the objects: a copy just adopted is accounted for and never owed.
  let owed = 0;
  for (let i = 0; i < debts.length; i += MERGE_BATCH * 5) {
    r.signal?.throwIfAborted();
    owed += (await r.ledger.mergeObjects([], debts.slice(i, i + MERGE_BATCH * 5))).debts;
  }
  report.debts = owed;
  return report;
}

/** The object a whole write makes: its copies of the stamp's size, the identity of the copy stamped last (as a rebuild takes it). */
function adoption(objectKey: string, write: Write): RebuildObjectRequest {
  const stamp = newestStamp(write.copies.filter(isWhole));
  const copies = write.copies.filter((c) => isWhole(c) && c.info.size === stamp.info.size);
  return {
    objectKey, writeId: write.writeId, createdAt: timeOf(write.writeId, stamp.info), identity: storedIdentity(stamp.info),
    copies: copies.map((c) => ({ backendName: c.backend, storageKey: c.storageKey })),
  };
}

function sameCopies(a: Array<{ backendName: string; storageKey: string }>, b: LocationRow[]): boolean {
  const key = (c: { backendName: string; storageKey: string }) => `${c.backendName}\n${c.storageKey}`;
  const left = new Set(a.map(key));
  return left.size === b.length && b.every((c) => left.has(key(c)));
}
