// Publishing this process's usage: every `intervalMs` the meter's counts become one delta
// per backend and month, handed to `publish` (which appends `usage.delta` events to the
// outbox). With adaptive flushing, while any backend is above `threshold` of one of its
// limits the deltas go out every `fastIntervalMs`, so other processes see the last part of
// a limit sooner. A failed publish puts the counts back for the next round; stop() flushes
// what is left.
import type { UsageBoard, SentDelta } from './board.js';
import { limitRatio, type UsageLimits } from './limits.js';
import { usagePeriod } from './period.js';

export interface UsageFlusherOptions {
  board: UsageBoard;
  limits: ReadonlyMap<string, UsageLimits>;
  intervalMs: number;
  adaptive: { threshold: number; fastIntervalMs: number } | null;
  publish: (deltas: SentDelta[]) => Promise<void>;
  onError: (err: unknown) => void;
  clock?: () => number;
}

/** What one flush published: deltas (one per backend and month) and the usage they carry; `failed` when the publish failed (counts kept for the next round). */
export interface FlushCounts {
  deltas: number;
  requests: number;
  egressBytes: number;
  ingressBytes: number;
  failed: number;
}

export class UsageFlusher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<FlushCounts> | null = null;
  private stopped = false;

  constructor(private readonly options: UsageFlusherOptions) {}

  start(): void {
    this.schedule();
  }

  /** The wait before the next flush: the fast interval while a backend is near a limit. */
  nextIntervalMs(): number {
    const { adaptive, limits, board, intervalMs } = this.options;
    if (!adaptive) return intervalMs;
    const period = usagePeriod((this.options.clock ?? Date.now)());
    for (const [backend, l] of limits) {
      if (limitRatio(l, board.effective(backend, period)) >= adaptive.threshold) return adaptive.fastIntervalMs;
    }
    return intervalMs;
  }

  /** Publishes what the meter holds now (after any flush already running). */
  flush(): Promise<FlushCounts> {
    const previous: Promise<unknown> = this.running ?? Promise.resolve();
    const run = previous.then(() => this.publishOnce());
    this.running = run.finally(() => {
      if (this.running === run) this.running = null;
    });
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.flush().finally(() => this.schedule());
    }, this.nextIntervalMs());
    this.timer.unref();
  }

  private async publishOnce(): Promise<FlushCounts> {
    const deltas = this.options.board.takeDeltas();
    const counts: FlushCounts = {
      deltas: deltas.length,
      requests: deltas.reduce((n, d) => n + d.requests, 0),
      egressBytes: deltas.reduce((n, d) => n + d.egress, 0),
      ingressBytes: deltas.reduce((n, d) => n + d.ingress, 0),
      failed: 0,
    };
    if (deltas.length === 0) return counts;
    try {
      await this.options.publish(deltas);
    } catch (err) {
      this.options.board.returnDeltas(deltas);
      this.options.onError(err);
      counts.failed = deltas.length;
    }
    return counts;
  }
}
