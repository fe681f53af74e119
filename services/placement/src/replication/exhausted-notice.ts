// replication.target_exhausted is news once, not on every sweep tick: an object no backend
// can take another copy of stays so until an operator acts, and the sweep finds it again
// every interval. One event per key per window is kept in memory (per process; a restart
// may announce it once more, which is harmless).

/** How long after announcing a key the same key is not announced again. */
export const EXHAUSTED_REPEAT_MS = 15 * 60_000;

export class ExhaustedNotice {
  private readonly announced = new Map<string, number>();

  constructor(private readonly repeatMs = EXHAUSTED_REPEAT_MS) {}

  /** True when `key` should be announced now (and records that it is). */
  shouldAnnounce(key: string, now: number): boolean {
    const last = this.announced.get(key);
    if (last !== undefined && now - last < this.repeatMs) return false;
    this.prune(now);
    // Deleted first so the map stays in announcement order (prune stops at the first live one).
    this.announced.delete(key);
    this.announced.set(key, now);
    return true;
  }

  /** Forget announcements older than the window, so the map holds only live ones. */
  private prune(now: number): void {
    for (const [key, at] of this.announced) {
      if (now - at < this.repeatMs) return;
      this.announced.delete(key);
    }
  }
}
