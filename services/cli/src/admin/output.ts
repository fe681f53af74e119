// How admin commands print: aligned tables, sizes and times for people, progress on a
// terminal only (plain lines when the output is a file or a pipe), JSON with --json.

/** `12.3 MiB`; null prints as `-`. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** `used / limit` with unlimited limits shown as such. */
export function ofLimit(used: number, limit: number | null | undefined, format: (n: number) => string = String): string {
  return limit ? `${format(used)} / ${format(limit)}` : `${format(used)} / unlimited`;
}

/** How long ago an ISO time was, `3s ago`, `5m ago`; `-` for none. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return `${duration(s)} ago`;
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d${Math.floor((seconds % 86400) / 3600)}h`;
}

/** Columns padded to their widest cell; a header row, then the rows. */
export function table(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Counts as people read them: `seen 3, done 2, bytes 2.0 KiB`. */
export function countsText(counts: Record<string, unknown>): string {
  return Object.entries(counts).map(([k, v]) => `${k} ${/bytes/i.test(k) && typeof v === 'number' ? bytes(v) : String(v)}`).join(', ');
}

/**
 * A pass's progress: on a terminal one line redrawn in place (a bar moving while the pass
 * runs, its elapsed time and its counts so far); elsewhere one plain line each time the
 * counts change, so logs and pipes get readable lines.
 */
export class Progress {
  private frame = 0;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream, private readonly label: string) {}

  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  private lastCounts = '';

  update(elapsedMs: number, counts?: Record<string, unknown>): void {
    const text = counts ? countsText(counts) : '';
    if (!this.interactive) {
      if (text !== '' && text !== this.lastCounts) this.out.write(`${this.label}: ${(elapsedMs / 1000).toFixed(0)}s: ${text}\n`);
      this.lastCounts = text;
      return;
    }
    const width = 20;
    const pos = this.frame++ % (2 * width - 2);
    const at = pos < width ? pos : 2 * width - 2 - pos;
    const bar = `${' '.repeat(at)}███${' '.repeat(Math.max(0, width - at))}`.slice(0, width + 3);
    // Cleared to the end of the line: the counts may be shorter than the previous frame's.
    this.out.write(`\r${this.label} [${bar}] ${(elapsedMs / 1000).toFixed(0)}s${text ? `  ${text}` : ''}\x1b[K`);
    this.drawn = true;
  }

  /** Clears the progress line before the final message. */
  done(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
