// Writes a run next to the others: `<timestamp>-<commit>.json` and `.md`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderMarkdown } from './format.js';
import type { BenchReport } from './model.js';

/** `2026-11-28T05-13-11Z`: sortable, and valid in file names everywhere. */
export function fileStamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** `appendMarkdown`: more sections for the markdown (the comparison with a base run). */
export async function writeReport(report: BenchReport, dir: string, appendMarkdown = ''): Promise<{ json: string; markdown: string }> {
  await mkdir(dir, { recursive: true });
  const base = join(dir, `${fileStamp(report.startedAt)}-${report.commit.hash}`);
  const files = { json: `${base}.json`, markdown: `${base}.md` };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.markdown, renderMarkdown(report) + (appendMarkdown ? `\n${appendMarkdown}` : ''));
  return files;
}
