// The soak profile's sampler: resident memory (VmRSS) and open file descriptors of every
// process of the run, read from /proc at a fixed interval (and the JS heap of this process,
// which holds the orchestrator in single mode: RSS alone cannot tell a heap that keeps
// growing from memory the allocator keeps). The report gives each process's first, last
// and peak values, its growth over the second half of the run (the first half is warm-up:
// caches, pools and the workload's keys filling), and the series itself, so growth over a
// long run shows and can be plotted.
import { readFileSync, readdirSync } from 'node:fs';

export interface ResourceSample {
  /** seconds since the sampler started */
  atS: number;
  pid: number;
  rssKiB: number;
  fds: number;
  /** V8 heap in use, only for this process */
  heapKiB?: number;
}

export interface ResourceGrowth {
  name: string;
  samples: number;
  firstRssKiB: number;
  lastRssKiB: number;
  peakRssKiB: number;
  firstFds: number;
  lastFds: number;
  peakFds: number;
  /** last minus the sample nearest the run's midpoint (same process only; null when it was restarted since) */
  secondHalfRssKiB: number | null;
  secondHalfFds: number | null;
  secondHalfHeapKiB: number | null;
  /** how many different pids the name had (a backend or service restarted by a fault has a new one) */
  pids: number;
  series: ResourceSample[];
}

export class ResourceSampler {
  private readonly seen = new Map<string, ResourceSample[]>();
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = Date.now();

  constructor(private readonly processes: () => Array<{ name: string; pid: number }>, everyMs: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  stop(): ResourceGrowth[] {
    clearInterval(this.timer);
    this.sample();
    return [...this.seen.entries()].map(([name, series]) => growthOf(name, series));
  }

  /** The latest sample of each process, for a progress line. */
  latest(): Array<{ name: string; sample: ResourceSample }> {
    return [...this.seen.entries()].map(([name, s]) => ({ name, sample: s[s.length - 1]! }));
  }

  private sample(): void {
    const atS = Math.round((Date.now() - this.startedAt) / 1000);
    for (const { name, pid } of this.processes()) {
      const rss = rssKiB(pid);
      const fds = fdCount(pid);
      if (rss === null || fds === null) continue; // not running at this moment (killed, restarting)
      const s: ResourceSample = { atS, pid, rssKiB: rss, fds };
      if (pid === process.pid) s.heapKiB = Math.round(process.memoryUsage().heapUsed / 1024);
      const series = this.seen.get(name);
      if (series) series.push(s);
      else this.seen.set(name, [s]);
    }
  }
}

export function growthOf(name: string, series: ResourceSample[]): ResourceGrowth {
  const first = series[0]!;
  const last = series[series.length - 1]!;
  const mid = series.reduce((best, s) => (Math.abs(s.atS - last.atS / 2) < Math.abs(best.atS - last.atS / 2) ? s : best), first);
  const samePid = mid.pid === last.pid && series.every((s) => s.atS < mid.atS || s.pid === last.pid);
  return {
    name,
    samples: series.length,
    firstRssKiB: first.rssKiB,
    lastRssKiB: last.rssKiB,
    peakRssKiB: Math.max(...series.map((s) => s.rssKiB)),
    firstFds: first.fds,
    lastFds: last.fds,
    peakFds: Math.max(...series.map((s) => s.fds)),
    secondHalfRssKiB: samePid && series.length > 2 ? last.rssKiB - mid.rssKiB : null,
    secondHalfFds: samePid && series.length > 2 ? last.fds - mid.fds : null,
    secondHalfHeapKiB: samePid && series.length > 2 && last.heapKiB !== undefined && mid.heapKiB !== undefined ? last.heapKiB - mid.heapKiB : null,
    pids: new Set(series.map((s) => s.pid)).size,
    series,
  };
}

function rssKiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function fdCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}
