// Which statements one Postgres connection runs as named prepared statements, and under
// what names (docs/architecture.md, "Prepared statements"). Postgres plans an unnamed
// statement afresh on every run; a named one keeps its parse tree and, after five runs, a
// generic plan — most of what a small ledger statement costs the server. Prepared statements
// belong to one session, so each connection has its own cache.

/** Statements with a plan worth keeping; transaction control and SET have none. */
const PLANNED = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|VALUES)\b/i;

export class StatementCache {
  /** texts run once, not yet named: a one-off text must not push out a hot statement */
  private readonly seenOnce = new Map<string, true>();
  /** text → name, least recently used first */
  private readonly named = new Map<string, string>();
  /** names pushed out of the cache, still prepared on the server until deallocated */
  private evicted: string[] = [];
  private everyName = false;
  private counter = 0;

  /** @param capacity named statements kept per connection (database.statement_cache); 0 = none */
  constructor(private readonly capacity: number) {}

  /**
   * The name to run `text` under, or null to run it unnamed. A text is named the second
   * time it runs; beyond `capacity` names the least recently used one is evicted.
   */
  nameFor(text: string): string | null {
    // A named text passed the PLANNED test when it was named: the hot path skips the regex.
    const name = this.named.get(text);
    if (name !== undefined) {
      this.named.delete(text);
      this.named.set(text, name);
      return name;
    }
    if (this.capacity === 0 || !PLANNED.test(text)) return null;
    if (!this.seenOnce.delete(text)) {
      this.seenOnce.set(text, true);
      if (this.seenOnce.size > this.capacity) this.seenOnce.delete(this.seenOnce.keys().next().value!);
      return null;
    }
    // A fresh name every time (never a name reused for another text): node-postgres remembers
    // which names a connection has parsed and refuses a known name with a different text.
    const fresh = `s3o_${++this.counter}`;
    this.named.set(text, fresh);
    if (this.named.size > this.capacity) {
      const [oldText, oldName] = this.named.entries().next().value!;
      this.named.delete(oldText);
      this.evicted.push(oldName);
    }
    return fresh;
  }

  /**
   * Forget every name: after Postgres refused one (a migration changed a result's type, or
   * the session lost its statements), the connection's statements are dropped and prepared anew.
   */
  invalidate(): void {
    this.named.clear();
    this.evicted = [];
    this.everyName = true;
  }

  /**
   * What to deallocate on the server before the connection is used again: the evicted names,
   * or 'ALL' after invalidate(). Taking it clears it.
   */
  takeDeallocations(): 'ALL' | string[] {
    if (this.everyName) {
      // DEALLOCATE ALL also drops what was named since invalidate().
      this.everyName = false;
      this.named.clear();
      return 'ALL';
    }
    const names = this.evicted;
    this.evicted = [];
    return names;
  }

  /** named statements held */
  get size(): number {
    return this.named.size;
  }
}
