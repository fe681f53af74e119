// What this process knows of each backend's usage this month: the latest totals the usage
// service published (in-process, or through the NATS KV bucket in distributed mode), plus
// this process's own deltas the published totals cannot contain yet — those still in the
// meter and those sent but not folded. A delta is known to be folded when a published total
// names its delta id; one that never shows up (a missed KV revision) is forgotten after
// `unconfirmedTtlMs`, by when it is surely folded or the usage service is not running.
import { randomUUID } from 'node:crypto';
import type { UsageMeter } from './meter.js';
import { usageKey, type BackendUsage, type UsageCounts } from './period.js';

/** A total as the usage service publishes it after folding the delta `deltaId`. */
export interface PublishedUsage extends BackendUsage {
  /** the delta whose fold produced this total ('' when none, e.g. a total read at start) */
  deltaId: string;
}

/** A delta on its way to the usage service. */
export interface SentDelta extends BackendUsage {
  deltaId: string;
}

export class UsageBoard {
  private readonly published = new Map<string, BackendUsage>();
  private readonly unconfirmed = new Map<string, SentDelta & { sentAt: number }>();
  private readonly listeners = new Set<(usage: BackendUsage) => void>();

  constructor(
    readonly meter: UsageMeter,
    private readonly options: { unconfirmedTtlMs: number; clock?: () => number },
  ) {}

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  /**
   * A published total. Totals only grow within a month, so the largest figure seen wins: two
   * usage service replicas may publish the totals of their folds in either order.
   */
  applyPublished(total: PublishedUsage): void {
    if (total.deltaId) this.unconfirmed.delete(total.deltaId);
    const key = usageKey(total.backend, total.period);
    const current = this.published.get(key);
    const next: BackendUsage = {
      backend: total.backend,
      period: total.period,
      requests: Math.max(current?.requests ?? 0, total.requests),
      egress: Math.max(current?.egress ?? 0, total.egress),
      ingress: Math.max(current?.ingress ?? 0, total.ingress),
    };
    this.published.set(key, next);
    for (const listener of this.listeners) listener(next);
  }

  /** Takes the meter's counts as deltas with fresh ids, counted as unconfirmed until folded. */
  takeDeltas(): SentDelta[] {
    const sentAt = this.now();
    return this.meter.take().map((u) => {
      const delta = { ...u, deltaId: randomUUID() };
      this.unconfirmed.set(delta.deltaId, { ...delta, sentAt });
      return delta;
    });
  }

  /** Deltas that could not be sent go back to the meter. */
  returnDeltas(deltas: readonly SentDelta[]): void {
    for (const d of deltas) this.unconfirmed.delete(d.deltaId);
    this.meter.restore(deltas);
  }

  /** Published total + unconfirmed deltas + the meter's pending counts. */
  effective(backend: string, period: string): UsageCounts {
    this.expireUnconfirmed();
    const total = { ...(this.published.get(usageKey(backend, period)) ?? { requests: 0, egress: 0, ingress: 0 }) };
    const add = (c: UsageCounts) => {
      total.requests += c.requests;
      total.egress += c.egress;
      total.ingress += c.ingress;
    };
    for (const d of this.unconfirmed.values()) if (d.backend === backend && d.period === period) add(d);
    const pending = this.meter.pendingOf(backend, period);
    if (pending) add(pending);
    return { requests: total.requests, egress: total.egress, ingress: total.ingress };
  }

  /** The published totals (not this process's unconfirmed deltas), by backend and month. */
  publishedTotals(): BackendUsage[] {
    return [...this.published.values()];
  }

  /** Deltas sent and not yet seen folded. */
  get unconfirmedCount(): number {
    return this.unconfirmed.size;
  }

  /** Called with every published total as it arrives (metrics). */
  onPublished(listener: (usage: BackendUsage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private expireUnconfirmed(): void {
    if (this.unconfirmed.size === 0) return;
    const before = this.now() - this.options.unconfirmedTtlMs;
    for (const [id, d] of this.unconfirmed) if (d.sentAt < before) this.unconfirmed.delete(id);
  }
}
