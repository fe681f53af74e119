// The unit of work of one ledger transaction, and the runner that owns it. An operation
// records what its transaction owes besides its own statements — quota deltas, cleanup
// debts, events — on the TxWork; the runner applies all of it at the end, inside the same
// transaction, and tells the process's buses after the COMMIT when events were appended.
// No operation finishes the work itself, so none can commit its rows and forget the quota
// changes or the events.
import { cleanupEnqueued } from '@s3o/events';
import { newId } from '../ids.js';
import { storedSizeOf } from '../stored-size.js';
import type { EventsAppendedSignal } from '../ledger.js';
import type { ReadStatements, TxAdapter, TxStatements } from '../tx-adapter.js';
import type { CleanupDebt, DeadLetterRow, IntentRow, LocationRow, NewEvent, ObjectRow } from '../types.js';

/** `seq` as the S3 event sequencer: 16 lower-case hex digits, so string order = numeric order. */
export function sequencerOf(seq: number): string {
  return seq.toString(16).padStart(16, '0');
}

/** A seq taken under a key lock, and its sequencer: the order of one change of the key. */
export interface Sequenced {
  seq: number;
  sequencer: string;
}

/** What an operation may do within its transaction besides running statements. */
export interface TxWork {
  readonly tx: TxStatements;
  /** the transaction's time (epoch ms) */
  readonly now: number;
  /** bytes_used += bytes (negative frees). */
  chargeUsed(backend: string, bytes: number): void;
  /** orphan_bytes -= bytes: owed bytes that are gone from the backend. */
  releaseOrphan(backend: string, bytes: number): void;
  /** Record bytes that must be deleted from a backend; they count as orphan until deleted. */
  owe(debt: CleanupDebt): Promise<void>;
  /** The bytes an intent may have written are not needed: they become a debt (the intent is already taken). */
  oweIntent(intent: IntentRow, reason: string): Promise<void>;
  /** A dead letter goes back to the queue; its bytes were never released, so no quota changes. */
  requeue(row: DeadLetterRow): Promise<void>;
  /** A committed copy stops being live: its bytes move from used to orphan, as a debt. */
  /** `markerBackend`: where a deleted copy's delete marker is (CleanupRow.markerBackend). */
  displace(location: LocationRow, reason: string, markerBackend?: string): Promise<void>;
  /** A new copy of `object` at `storageKey` on `backendName`: its row, and its bytes charged to the backend. */
  addCopy(object: ObjectRow, backendName: string, storageKey: string): Promise<LocationRow>;
  /**
   * Takes a `replica` / `move` intent and locks its key. Null when the intent is gone (the
   * reaper took it); 'stale' — its bytes already owed as `staleReason` — when the object was
   * deleted or rewritten while the copy was made.
   */
  takeCopyIntent(
    intentId: string, kind: 'replica' | 'move', writeId: string, staleReason: string,
  ): Promise<{ intent: IntentRow; object: ObjectRow } | null | 'stale'>;
  /** The sequencer of this transaction's change of an object; taken under the key lock. */
  takeSequencer(): Promise<Sequenced>;
  /**
   * Events to append when the transaction's work is done, in this order. With `sequenced`,
   * the first one takes its seq and each gets `data.sequencer`.
   */
  append(events: NewEvent[], sequenced?: Sequenced): void;
}

/** What an operation family runs on: reads outside a transaction, and transactions with their work. */
export interface Core {
  /** Reads from one consistent snapshot, outside a transaction. */
  read<T>(fn: (q: ReadStatements) => Promise<T>): Promise<T>;
  /** A read of one statement: on Postgres one round trip, no transaction (TxAdapter.readStatement). */
  readStatement<T>(fn: (q: ReadStatements) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction and finishes its work in it (quota deltas, debts' wake-ups, events). */
  withWork<T>(fn: (work: TxWork) => Promise<T>): Promise<T>;
}

/** The listeners of `eventsAppended`. */
class AppendedListeners implements EventsAppendedSignal {
  private readonly listeners = new Set<() => void>();

  listen(listener: () => void): () => void {
    // A wrapper per registration, so one function listening twice is removed once per removal.
    const entry = (): void => listener();
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  fire(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // The transaction has committed: a listener's failure must not make it look failed.
        // The buses poll as well, so the events are still found.
      }
    }
  }
}

/** Opens the transactions of one ledger: each with its TxWork, finished inside it. */
export class TxRunner implements Core {
  readonly eventsAppended = new AppendedListeners();

  constructor(
    private readonly adapter: TxAdapter,
    /** `source` of every event appended (service + instance) */
    private readonly source: string,
    /** epoch milliseconds: each transaction's `now` */
    private readonly clock: () => number,
    /** the caller's active traceparent, stamped on events that carry none */
    private readonly traceparent: () => string | null,
  ) {}

  read<T>(fn: (q: ReadStatements) => Promise<T>): Promise<T> {
    return this.adapter.read(fn);
  }

  readStatement<T>(fn: (q: ReadStatements) => Promise<T>): Promise<T> {
    return this.adapter.readStatement(fn);
  }

  async withWork<T>(fn: (work: TxWork) => Promise<T>): Promise<T> {
    // Taken before the engine runs: a database driver may open spans of its own around the transaction.
    const traceparent = this.traceparent();
    let appended = 0;
    const result = await this.adapter.withTx(async (tx) => {
      const work = new UnitOfWork(tx, this.clock(), this.source, traceparent);
      const value = await fn(work);
      appended = await work.finish();
      return value;
    });
    if (appended > 0) this.eventsAppended.fire();
    return result;
  }
}

/**
 * The TxWork of one transaction. Quota deltas are collected per backend and applied once at
 * the end, so every operation's arithmetic is in one place and the appended events come in a
 * fixed order: the operation's own, then one `cleanup.enqueued` per backend owed.
 */
class UnitOfWork implements TxWork {
  private readonly quota = new Map<string, { used: number; orphan: number }>();
  private readonly debtCounts = new Map<string, number>();
  private readonly batches: Array<{ events: NewEvent[]; sequenced: Sequenced | undefined }> = [];

  constructor(
    readonly tx: TxStatements,
    readonly now: number,
    private readonly source: string,
    private readonly traceparent: string | null,
  ) {}

  private delta(backend: string): { used: number; orphan: number } {
    let d = this.quota.get(backend);
    if (!d) this.quota.set(backend, (d = { used: 0, orphan: 0 }));
    return d;
  }

  chargeUsed(backend: string, bytes: number): void {
    this.delta(backend).used += bytes;
  }

  releaseOrphan(backend: string, bytes: number): void {
    this.delta(backend).orphan -= bytes;
  }

  async owe(debt: CleanupDebt): Promise<void> {
    await this.tx.insertCleanup(debt, this.now);
    this.delta(debt.backendName).orphan += debt.sizeBytes;
    this.countDebt(debt.backendName);
  }

  async oweIntent(intent: IntentRow, reason: string): Promise<void> {
    await this.owe({
      kind: 'object',
      backendName: intent.backendName,
      storageKey: intent.storageKey,
      objectKey: intent.objectKey,
      reason,
      sizeBytes: intent.sizeBytes,
      // The intent's request may have been left running (its writer gave up or died): a backend
      // may store its bytes after a first DELETE.
      inDoubt: true,
    });
  }

  async requeue(row: DeadLetterRow): Promise<void> {
    await this.tx.reinsertCleanup(row, this.now);
    this.countDebt(row.backendName);
  }

  async displace(location: LocationRow, reason: string, markerBackend?: string): Promise<void> {
    this.chargeUsed(location.backendName, -location.sizeBytes);
    await this.owe({
      kind: 'object',
      backendName: location.backendName,
      storageKey: location.storageKey,
      objectKey: location.objectKey,
      reason,
      sizeBytes: location.sizeBytes,
      markerBackend: markerBackend ?? null,
    });
  }

  async addCopy(object: ObjectRow, backendName: string, storageKey: string): Promise<LocationRow> {
    const copy: LocationRow = {
      objectKey: object.objectKey, backendName, storageKey, writeId: object.writeId, sizeBytes: storedSizeOf(object), createdAt: this.now, state: 'ok',
    };
    await this.tx.insertLocation(copy);
    this.chargeUsed(backendName, copy.sizeBytes);
    return copy;
  }

  async takeCopyIntent(
    intentId: string, kind: 'replica' | 'move', writeId: string, staleReason: string,
  ): Promise<{ intent: IntentRow; object: ObjectRow } | null | 'stale'> {
    const intent = await this.tx.takeIntent(intentId);
    if (!intent) return null;
    if (intent.kind !== kind) throw new TypeError(`intent ${intent.intentId} is a ${intent.kind} intent; only ${kind} intents commit here`);
    // The key lock: a commit, delete, replica or move of this key waits for us (or we for it).
    const object = await this.tx.lockObjectKey(intent.objectKey);
    if (!object || object.writeId !== writeId) {
      await this.oweIntent(intent, staleReason);
      return 'stale';
    }
    return { intent, object };
  }

  async takeSequencer(): Promise<Sequenced> {
    const [seq] = await this.tx.reserveEventSeqs(1);
    return { seq: seq!, sequencer: sequencerOf(seq!) };
  }

  append(events: NewEvent[], sequenced?: Sequenced): void {
    this.batches.push({ events, sequenced });
  }

  private countDebt(backend: string): void {
    this.debtCounts.set(backend, (this.debtCounts.get(backend) ?? 0) + 1);
  }

  /** Appends the events, then applies the quota deltas; returns how many events were appended. */
  async finish(): Promise<number> {
    const events: Array<{ event: NewEvent; seq: number | undefined }> = [];
    for (const { events: batch, sequenced } of this.batches) {
      batch.forEach((event, i) => events.push({
        event: sequenced ? { ...event, data: { ...event.data, sequencer: sequenced.sequencer } } as NewEvent : event,
        seq: i === 0 ? sequenced?.seq : undefined,
      }));
    }
    for (const [backend, count] of this.debtCounts) events.push({ event: cleanupEnqueued(backend, count), seq: undefined });
    const unsequenced = events.filter((e) => e.seq === undefined).length;
    const fresh = unsequenced > 0 ? await this.tx.reserveEventSeqs(unsequenced) : [];
    let next = 0;
    for (const { event, seq } of events) {
      await this.tx.insertEvent({
        seq: seq ?? fresh[next++]!,
        id: newId(this.now),
        type: event.type,
        resource: event.resource,
        source: this.source,
        traceparent: event.traceparent ?? this.traceparent,
        data: event.data,
        createdAt: this.now,
        publishedAt: null,
      });
    }
    // The quota rows last: on Postgres an update holds its backend's row lock until COMMIT, and
    // every claim and commit on that backend waits for it, so the event appends (statements
    // that lock nothing already there) run before it rather than under it. The rows are updated
    // in one global order (by name), so two transactions touching the same backends can never
    // lock them in opposite orders and deadlock.
    const deltas = [...this.quota].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [backend, d] of deltas) {
      if (d.used !== 0 || d.orphan !== 0) await this.tx.adjustQuota(backend, d.used, d.orphan, this.now);
    }
    return events.length;
  }
}
