// Memory and CPU of another process, read from /proc (Linux). The gateway's peak RSS is
// the figure the memory target is about; CPU seconds per process show where the time of a
// scenario went (client, gateway, backend) on a machine whose cores they share.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SECOND = 100;
const SAMPLE_INTERVAL_MS = 50;

export interface ProcessUsage {
  /** highest resident set size seen during the window, in bytes */
  peakRssBytes: number;
  /** user + system CPU time spent during the window */
  cpuSeconds: number;
  /**
   * minor page faults during the window: memory the process touched that had no page yet.
   * Tens per MB moved mean the allocator gave its heap back and is faulting it in again
   * (docs/performance.md, "Large objects: the allocator, not the gateway").
   */
  minorFaults: number;
  /**
   * the part of cpuSeconds spent by threads other than the main one: in Node, V8's helper
   * threads (concurrent marking and sweeping, compilation) and libuv's pool. JS, hashing and
   * socket I/O run on the main thread, so a large share here is garbage collection.
   */
  offMainCpuSeconds: number;
  /** how the peak was measured: the kernel's high-water mark (reset at the start) or sampling */
  peakSource: 'VmHWM' | 'sampled';
}

export class ProcessProbe {
  constructor(readonly pid: number) {}

  /** Current and peak (since start or last reset) resident set size, in bytes. */
  memory(): { rssBytes: number; hwmBytes: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return { rssBytes: statusKiB(status, 'VmRSS') * 1024, hwmBytes: statusKiB(status, 'VmHWM') * 1024 };
  }

  /** user + system CPU seconds since the process started. */
  cpuSeconds(): number {
    const fields = this.statFields();
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  }

  /** CPU seconds of the threads other than the main one (thread id = process id), since each started; threads that exited are not counted. */
  offMainCpuSeconds(): number {
    let ticks = 0;
    for (const tid of readdirSync(`/proc/${this.pid}/task`)) {
      if (Number(tid) === this.pid) continue;
      try {
        const fields = statFields(readFileSync(`/proc/${this.pid}/task/${tid}/stat`, 'utf8'));
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // the thread exited between the listing and the read
      }
    }
    return ticks / CLOCK_TICKS_PER_SECOND;
  }

  /** Minor page faults since the process started (memory it touched that had no page yet). */
  minorFaults(): number {
    return Number(this.statFields()[7]);
  }

  private statFields(): string[] {
    return statFields(readFileSync(`/proc/${this.pid}/stat`, 'utf8'));
  }

  /**
   * Resets the kernel's peak-RSS mark (VmHWM) to the current RSS (`echo 5 > clear_refs`).
   * Needs the right to write the process's clear_refs (same user, or root); false when refused.
   */
  resetPeak(): boolean {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  /** Starts a measurement window; `end()` returns the usage during it. */
  window(): { end(): ProcessUsage } {
    const hwmReset = this.resetPeak();
    const cpuAtStart = this.cpuSeconds();
    const faultsAtStart = this.minorFaults();
    const offMainAtStart = this.offMainCpuSeconds();
    let sampledPeak = this.memory().rssBytes;
    // Sampling is the fallback when the mark cannot be reset, and a cross-check when it can.
    const timer = setInterval(() => {
      try {
        sampledPeak = Math.max(sampledPeak, this.memory().rssBytes);
      } catch {
        clearInterval(timer); // the process is gone; end() will say so
      }
    }, SAMPLE_INTERVAL_MS);
    timer.unref();
    return {
      end: () => {
        clearInterval(timer);
        const { rssBytes, hwmBytes } = this.memory();
        sampledPeak = Math.max(sampledPeak, rssBytes);
        return {
          peakRssBytes: hwmReset ? Math.max(hwmBytes, sampledPeak) : sampledPeak,
          cpuSeconds: this.cpuSeconds() - cpuAtStart,
          minorFaults: this.minorFaults() - faultsAtStart,
          offMainCpuSeconds: Math.max(0, this.offMainCpuSeconds() - offMainAtStart),
          peakSource: hwmReset ? 'VmHWM' : 'sampled',
        };
      },
    };
  }
}

/** The CPU seconds of this process (the benchmark's client) during a window. */
export function ownCpuWindow(): { end(): number } {
  const start = process.cpuUsage();
  return {
    end: () => {
      const used = process.cpuUsage(start);
      return (used.user + used.system) / 1e6;
    },
  };
}

/** The fields of a /proc stat line after "pid (comm) "; comm may contain spaces and parentheses, so split after the last ')'. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function statusKiB(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!m) throw new Error(`/proc status has no ${field} line`);
  return Number(m[1]);
}
