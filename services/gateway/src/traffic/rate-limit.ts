// Per-client token buckets (`rate_limit.*`): each client IP may send `burst` requests at
// once and `requestsPerSec` on average. Memory stays bounded however many addresses send:
// an entry idle long enough to have refilled is worth nothing (a new one is identical) and
// is swept every `cleanupIntervalMs`, as is one idle for `maxIdleMs`; and at most
// `maxClients` entries are kept — past that the least recently seen goes first.

export interface RateLimitSettings {
  requestsPerSec: number;
  burst: number;
  /** an entry idle this long is dropped even if not full (`rate_limit.cleanup_max_age`) */
  maxIdleMs: number;
  cleanupIntervalMs: number;
  maxClients: number;
  clock?: () => number;
}

interface Bucket {
  tokens: number;
  /** when `tokens` was last brought up to date */
  at: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export const DEFAULT_MAX_CLIENTS = 50_000;

export class RateLimiter {
  /** insertion order = least recently seen first (an entry is re-inserted on every request) */
  private readonly buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private settings: RateLimitSettings) {
    this.now = settings.clock ?? Date.now;
    this.timer = setInterval(() => this.sweep(), settings.cleanupIntervalMs);
    this.timer.unref();
  }

  /**
   * New limits (a reloaded rate_limit): every client keeps its bucket, taken from now on at
   * the new rate and capped at the new burst, so a lowered limit refuses at once.
   */
  reconfigure(settings: Omit<RateLimitSettings, 'clock'>): void {
    const sweepChanged = settings.cleanupIntervalMs !== this.settings.cleanupIntervalMs;
    this.settings = { ...settings, clock: this.now };
    if (!sweepChanged) return;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.sweep(), settings.cleanupIntervalMs);
    this.timer.unref();
  }

  get size(): number {
    return this.buckets.size;
  }

  take(client: string): RateDecision {
    const { requestsPerSec: rate, burst } = this.settings;
    const now = this.now();
    const bucket = this.buckets.get(client);
    let tokens = burst;
    if (bucket) {
      tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      this.buckets.delete(client);
    }
    if (tokens < 1) {
      this.buckets.set(client, { tokens, at: now });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / rate)) };
    }
    this.buckets.set(client, { tokens: tokens - 1, at: now });
    if (this.buckets.size > this.settings.maxClients) {
      // The least recently seen client loses its history (it may burst again once).
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return { allowed: true };
  }

  /** Drops entries that have refilled (identical to no entry) or been idle for maxIdleMs. */
  sweep(): void {
    const { requestsPerSec: rate, burst, maxIdleMs } = this.settings;
    const now = this.now();
    for (const [client, bucket] of this.buckets) {
      const idle = now - bucket.at;
      if (idle >= maxIdleMs || bucket.tokens + (idle / 1000) * rate >= burst) this.buckets.delete(client);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
