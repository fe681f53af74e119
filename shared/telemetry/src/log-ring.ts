// The last log lines of this process, kept in memory for `GET /admin/api/logs`: an operator
// sees what a process said lately without reaching its log collector. Bounded by line count
// (and each line by size), so a chatty process costs a fixed amount of memory.
import { Writable } from 'node:stream';

/** pino's numeric levels by name, as the ring filters on them. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;

/** One kept line: its time (epoch ms), level name and the JSON line as pino wrote it. */
export interface RingLine {
  time: number;
  level: LogLevelName;
  line: Record<string, unknown>;
}

const DEFAULT_CAPACITY = 2000;
/** A longer line is kept cut, marked `truncated`. */
const MAX_LINE_BYTES = 16 * 1024;

export class LogRing {
  private readonly lines: Array<RingLine | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity = DEFAULT_CAPACITY) {
    this.lines = new Array<RingLine | undefined>(capacity);
  }

  /** Keeps one pino JSON line (a line that is not JSON is kept as `msg`). */
  push(text: string): void {
    let line: Record<string, unknown>;
    try {
      line = text.length > MAX_LINE_BYTES
        ? { msg: text.slice(0, MAX_LINE_BYTES), truncated: true }
        : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      line = { msg: text.trimEnd() };
    }
    const level = levelName(line['level']);
    const time = typeof line['time'] === 'string' ? Date.parse(line['time']) : Date.now();
    this.lines[this.next] = { time: Number.isFinite(time) ? time : Date.now(), level, line };
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Lines at `minLevel` or above, newer than `since` (epoch ms), oldest first, the newest `limit`. */
  query(opts: { minLevel?: LogLevelName; since?: number; limit?: number } = {}): RingLine[] {
    const min = LOG_LEVELS[opts.minLevel ?? 'trace'];
    const out: RingLine[] = [];
    for (let i = 0; i < this.count; i++) {
      const entry = this.lines[(this.next - this.count + i + this.capacity) % this.capacity]!;
      if (LOG_LEVELS[entry.level] < min) continue;
      if (opts.since !== undefined && entry.time <= opts.since) continue;
      out.push(entry);
    }
    return opts.limit !== undefined && out.length > opts.limit ? out.slice(out.length - opts.limit) : out;
  }

  /** A stream pino can write to (one JSON line per write). */
  stream(): Writable {
    return new Writable({
      write: (chunk: Buffer | string, _enc, done) => {
        for (const text of chunk.toString().split('\n')) if (text !== '') this.push(text);
        done();
      },
    });
  }
}

function levelName(level: unknown): LogLevelName {
  if (typeof level === 'string' && level in LOG_LEVELS) return level as LogLevelName;
  if (typeof level === 'number') {
    for (const [name, value] of Object.entries(LOG_LEVELS).reverse()) if (level >= value) return name as LogLevelName;
  }
  return 'info';
}

/** The ring of this process: the CLI's root logger writes to it. */
export const processLogs = new LogRing();
