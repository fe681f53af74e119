// The ledger's holdings of one kind on one backend in storage-key order, read a page at a
// time, so a walk can merge them with the backend's own (equally ordered) listing without
// holding either in memory.
import type { BackendHolding, HoldingCursor as Position, HoldingKind, HoldingsLedger } from '@s3o/store';

/** S3 lists keys in UTF-8 byte order; so does the ledger (BINARY / COLLATE "C"). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class HoldingCursor {
  private page: BackendHolding[] = [];
  private index = 0;
  private exhausted = false;

  /** `after`: start strictly after this position (null = from the first holding). */
  constructor(
    private readonly ledger: HoldingsLedger,
    private readonly backendName: string,
    private readonly kind: HoldingKind,
    private readonly pageSize: number,
    private after: Position | null = null,
  ) {}

  /** The next holding, or null after the last. */
  async peek(): Promise<BackendHolding | null> {
    if (this.index < this.page.length) return this.page[this.index]!;
    if (this.exhausted) return null;
    this.page = await this.ledger.listHoldings({ backendName: this.backendName, kind: this.kind, after: this.after, limit: this.pageSize });
    this.index = 0;
    const last = this.page.at(-1);
    if (this.page.length < this.pageSize || !last) this.exhausted = true;
    if (last) this.after = { storageKey: last.storageKey, rowId: last.rowId };
    return this.page[0] ?? null;
  }

  /** Moves past the holding peek() returned. */
  advance(): void {
    this.index++;
  }
}

const KINDS: HoldingKind[] = ['copy', 'intent', 'debt', 'dead_letter', 'upload'];

/**
 * "Does any ledger record account for this key?" for keys asked in listing order: the five
 * kinds of holding merged along. A key asked out of order (a backend listing in another
 * order) gets `false` — callers treat that as a candidate whose import transaction checks
 * again, so the merge only saves lookups and never decides alone.
 */
export class HeldKeys {
  private readonly cursors: HoldingCursor[];
  private last: string | null = null;

  constructor(ledger: HoldingsLedger, backendName: string, pageSize: number, startAt = '') {
    // rowId '' sorts before every row id: the first holding at `startAt` is included.
    const after = startAt === '' ? null : { storageKey: startAt, rowId: '' };
    this.cursors = KINDS.map((kind) => new HoldingCursor(ledger, backendName, kind, pageSize, after));
  }

  async isHeld(key: string): Promise<boolean> {
    if (this.last !== null && byteOrder(key, this.last) < 0) return false;
    this.last = key;
    let held = false;
    for (const cursor of this.cursors) {
      let h = await cursor.peek();
      while (h && byteOrder(h.storageKey, key) < 0) {
        cursor.advance();
        h = await cursor.peek();
      }
      if (h && h.storageKey === key) held = true;
    }
    return held;
  }
}
