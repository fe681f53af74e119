// Verify: is every byte on the backends accounted for, and is every copy the ledger
// records really there? Per backend it compares what the ledger holds — copies, open
// intents, debts (queued and dead-lettered), open multipart uploads — with a listing of the
// backend under every prefix the orchestrator writes (`<bucket>/` of each configured bucket
// and of every bucket the ledger still holds keys of):
//   leaked  — on the backend, accounted for by nothing: no copy, intent, debt or upload (a
//             delete marker: by the debt of the bytes it names);
//   missing — a copy in the ledger whose storage key the backend does not have.
// The ledger is read first, the backend listed after, so a write that starts in between
// shows up as a candidate; every candidate is looked at again (the ledger for that key,
// then a HEAD) before it is reported, so writes, deletes and cleanups that run during the
// walk are not reported as damage. Nothing is changed.
//
// Memory: one backend at a time, one map entry per storage key the ledger holds on it.
import type { BackendClient } from '@s3o/backends';
import type { Config } from '@s3o/config';
import type { BackendHolding, HoldingCursor, HoldingKind, HoldingsLedger } from '@s3o/store';
import { markedBy } from '@s3o/store';

/** Ledger records and backend keys read per page. */
const PAGE = 1000;
/** Candidates looked at again at once. */
const RECHECK_CONCURRENCY = 8;

export interface VerifyOptions {
  /** Longest list of keys reported per finding (the counts are always complete). */
  maxKeys: number;
  /** Only these backends (default: every configured backend). */
  backends?: string[];
}

export interface LeakedKey {
  storage_key: string;
  size: number;
}

export interface MissingKey {
  storage_key: string;
  object_key: string;
  size: number;
}

export interface Finding<K> {
  count: number;
  bytes: number;
  /** at most `maxKeys`, in storage-key byte order */
  keys: K[];
  /** more keys than listed */
  truncated: boolean;
}

export interface BackendVerification {
  backend: string;
  /** nothing leaked, nothing missing, and the backend could be listed */
  ok: boolean;
  /** why the backend could not be verified (listing failed); null when it was */
  error: string | null;
  ledger_copies: number;
  /** bytes of the copies the ledger records */
  ledger_bytes: number;
  /** debts waiting in cleanup_queue */
  debts: number;
  /** debts in cleanup_dlq */
  dead_letters: number;
  /** bytes owed to cleanup (queue + DLQ): on the backend until deleted */
  orphan_bytes_owed: number;
  open_intents: number;
  open_uploads: number;
  /** objects and bytes the listing found under the orchestrator's prefixes */
  backend_objects: number;
  backend_bytes: number;
  leaked: Finding<LeakedKey>;
  missing: Finding<MissingKey>;
}

export interface VerifyReport {
  ok: boolean;
  checked_at: string;
  backends: BackendVerification[];
}

/** What the ledger says about one storage key on the backend being verified. */
interface Known {
  copy: { objectKey: string; size: number } | null;
  seen: boolean;
}

class FindingCollector<K extends { storage_key: string; size: number }> {
  private readonly all: K[] = [];

  add(key: K): void {
    this.all.push(key);
  }

  result(maxKeys: number): Finding<K> {
    const sorted = [...this.all].sort((a, b) => Buffer.compare(Buffer.from(a.storage_key), Buffer.from(b.storage_key)));
    return {
      count: sorted.length,
      bytes: sorted.reduce((n, k) => n + k.size, 0),
      keys: sorted.slice(0, maxKeys),
      truncated: sorted.length > maxKeys,
    };
  }
}

export async function verify(
  deps: { config: Config; ledger: HoldingsLedger; backends: Map<string, BackendClient> },
  options: VerifyOptions,
): Promise<VerifyReport> {
  const checkedAt = new Date().toISOString();
  const names = options.backends ?? deps.config.backends.map((b) => b.name);
  const results: BackendVerification[] = [];
  for (const name of names) results.push(await verifyBackend(deps, name, options.maxKeys));
  return { ok: results.every((r) => r.ok), checked_at: checkedAt, backends: results };
}

async function verifyBackend(
  deps: { config: Config; ledger: HoldingsLedger; backends: Map<string, BackendClient> },
  backend: string,
  maxKeys: number,
): Promise<BackendVerification> {
  const { ledger } = deps;
  const allBackends = deps.config.backends.map((b) => b.name);
  const report: BackendVerification = {
    backend, ok: false, error: null, ledger_copies: 0, ledger_bytes: 0, debts: 0, dead_letters: 0, orphan_bytes_owed: 0,
    open_intents: 0, open_uploads: 0, backend_objects: 0, backend_bytes: 0,
    leaked: new FindingCollector<LeakedKey>().result(maxKeys), missing: new FindingCollector<MissingKey>().result(maxKeys),
  };

  // 1. What the ledger accounts for on this backend.
  const known = new Map<string, Known>();
  const prefixes = new Set(deps.config.buckets.map((b) => `${b.name}/`));
  for (const kind of ['copy', 'intent', 'debt', 'dead_letter', 'upload'] as const) {
    for await (const h of holdings(ledger, backend, kind)) {
      const entry = known.get(h.storageKey) ?? { copy: null, seen: false };
      known.set(h.storageKey, entry);
      const slash = h.storageKey.indexOf('/');
      if (slash > 0) prefixes.add(h.storageKey.slice(0, slash + 1));
      switch (h.kind) {
        case 'copy':
          entry.copy = { objectKey: h.objectKey ?? '', size: h.sizeBytes };
          report.ledger_copies++;
          report.ledger_bytes += h.sizeBytes;
          break;
        case 'intent':
          report.open_intents++;
          break;
        case 'debt':
          report.debts++;
          report.orphan_bytes_owed += h.sizeBytes;
          break;
        case 'dead_letter':
          report.dead_letters++;
          report.orphan_bytes_owed += h.sizeBytes;
          break;
        case 'upload':
          report.open_uploads++;
          break;
      }
    }
  }

  const client = deps.backends.get(backend);
  if (!client) {
    report.error = `backend ${backend} is not configured`;
    return report;
  }

  // 2. What the backend holds under the orchestrator's prefixes.
  const leakedCandidates: LeakedKey[] = [];
  try {
    for (const prefix of [...prefixes].sort()) {
      let continuationToken: string | undefined;
      do {
        const page = await client.listObjects({ prefix, continuationToken, maxKeys: PAGE });
        for (const object of page.keys) {
          report.backend_objects++;
          report.backend_bytes += object.size;
          const entry = known.get(object.key);
          if (entry) entry.seen = true;
          else leakedCandidates.push({ storage_key: object.key, size: object.size });
        }
        continuationToken = page.nextToken;
      } while (continuationToken);
    }
  } catch (err) {
    report.error = `listing the backend failed: ${err instanceof Error ? err.message : String(err)}`;
    return report;
  }
  const missingCandidates: MissingKey[] = [];
  for (const [storageKey, entry] of known) {
    if (entry.copy && !entry.seen) missingCandidates.push({ storage_key: storageKey, object_key: entry.copy.objectKey, size: entry.copy.size });
  }

  // 3. Look again at each candidate: only what is still wrong is reported.
  const leaked = new FindingCollector<LeakedKey>();
  const missing = new FindingCollector<MissingKey>();
  try {
    await inLanes(leakedCandidates, async (candidate) => {
      if ((await ledger.findHoldings(backend, candidate.storage_key)).length > 0) return; // written meanwhile
      // A delete marker is accounted for by the debt of the bytes it names, on any backend (a
      // marker goes elsewhere when the copy's backend cannot take it; cleanup deletes it after
      // the bytes); a long key's marker names them by hash only and is taken as accounted.
      const marked = markedBy(candidate.storage_key);
      if (marked && (!('storageKey' in marked) || (await heldAnywhere(ledger, allBackends, marked.storageKey)))) return;
      const found = await client.headObject(candidate.storage_key);
      if (found) leaked.add({ storage_key: candidate.storage_key, size: found.size }); // else: cleaned up meanwhile
    });
    await inLanes(missingCandidates, async (candidate) => {
      const now = await ledger.findHoldings(backend, candidate.storage_key);
      if (!now.some((h) => h.kind === 'copy')) return; // deleted meanwhile
      if (await client.headObject(candidate.storage_key)) return;
      missing.add(candidate);
    });
  } catch (err) {
    report.error = `looking again at a finding failed: ${err instanceof Error ? err.message : String(err)}`;
    return report;
  }
  report.leaked = leaked.result(maxKeys);
  report.missing = missing.result(maxKeys);
  report.ok = report.leaked.count === 0 && report.missing.count === 0;
  return report;
}

/** Does any backend's record (a copy, an intent, a debt) name `storageKey`? */
async function heldAnywhere(ledger: HoldingsLedger, backends: string[], storageKey: string): Promise<boolean> {
  for (const name of backends) {
    if ((await ledger.findHoldings(name, storageKey)).length > 0) return true;
  }
  return false;
}

/** Every holding of one kind on the backend, page by page. */
async function* holdings(ledger: HoldingsLedger, backendName: string, kind: HoldingKind): AsyncGenerator<BackendHolding> {
  let after: HoldingCursor | null = null;
  for (;;) {
    const page = await ledger.listHoldings({ backendName, kind, after, limit: PAGE });
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < PAGE) return;
    after = { storageKey: last.storageKey, rowId: last.rowId };
  }
}

async function inLanes<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(RECHECK_CONCURRENCY, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}
