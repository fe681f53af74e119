// The soak profile's sampler: resident memory (VmRSS) and open file descriptors of every
// process of the run, read from /proc at a fixed interval; the report gives each process's
// first and last sample and its peak, so growth over a long run shows.
import { readFileSync, readdirSync } from 'node:fs';

export interface ResourceGrowth {
  name: string;
  samples: number;
  firstRssKiB: number;
  lastRssKiB: number;
  peakRssKiB: number;
  firstFds: number;
  lastFds: number;
  peakFds: number;
}

export class ResourceSampler {
  private readonly seen = new Map<string, ResourceGrowth>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly processes: () => Array<{ name: string; pid: number }>, everyMs: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  stop(): ResourceGrowth[] {
    clearInterval(this.timer);
    this.sample();
    return [...this.seen.values()];
  }

  private sample(): void {
    for (const { name, pid } of this.processes()) {
      const rss = rssKiB(pid);
      const fds = fdCount(pid);
      if (rss === null || fds === null) continue; // not running at this moment (killed, restarting)
      const g = this.seen.get(name);
      if (!g) {
        this.seen.set(name, { name, samples: 1, firstRssKiB: rss, lastRssKiB: rss, peakRssKiB: rss, firstFds: fds, lastFds: fds, peakFds: fds });
        continue;
      }
      g.samples++;
      g.lastRssKiB = rss;
      g.lastFds = fds;
      g.peakRssKiB = Math.max(g.peakRssKiB, rss);
      g.peakFds = Math.max(g.peakFds, fds);
    }
  }
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
