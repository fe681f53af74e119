// Where degraded reads last found a key (`circuit_breaker.cache_ttl`): the backend and
// storage key of the newest copy, so repeated reads of a key skip the broadcast listing
// of every backend. Storage keys are never reused, so an entry can only become stale by
// the copy disappearing (cleanup) or a newer write landing; the reader re-checks the copy
// on every hit and the TTL bounds the second case. Bounded in size: oldest entries go first.
export interface CachedLocation {
  backendName: string;
  storageKey: string;
}

/** Enough for a busy gateway's hot keys; an entry holds two keys of at most 1 KiB each, so memory stays in the low tens of MB at worst. */
const DEFAULT_MAX_ENTRIES = 10_000;

export class LocationCache {
  private readonly entries = new Map<string, { location: CachedLocation; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
    private readonly clock: () => number = Date.now,
  ) {}

  get(objectKey: string): CachedLocation | null {
    const entry = this.entries.get(objectKey);
    if (entry === undefined) return null;
    if (entry.expiresAt <= this.clock()) {
      this.entries.delete(objectKey);
      return null;
    }
    return entry.location;
  }

  set(objectKey: string, location: CachedLocation): void {
    if (this.ttlMs === 0) return;
    this.entries.delete(objectKey);
    // Map iteration is insertion order: the first entry is the oldest.
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(objectKey, { location, expiresAt: this.clock() + this.ttlMs });
  }

  delete(objectKey: string): void {
    this.entries.delete(objectKey);
  }

  /** Forget everything (the database is back: it knows better). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
