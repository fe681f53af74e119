// Reads a V8 CPU profile (`node --cpu-prof`) into the few lines a reader acts on: where the
// gateway process spent its samples, by function and by file.
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CpuProfileEntry {
  /** `function (file:line)` or a file path */
  name: string;
  selfMs: number;
  percent: number;
}

export interface CpuProfileSummary {
  file: string;
  totalMs: number;
  topFunctions: CpuProfileEntry[];
  topFiles: CpuProfileEntry[];
}

export async function summarizeCpuProfile(file: string, top = 25): Promise<CpuProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const deltaUs = Math.max(0, profile.timeDeltas[i] ?? 0);
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return;
    totalUs += deltaUs;
    const where = shortUrl(frame.url);
    const fn = frame.functionName || '(anonymous)';
    const functionKey = where ? `${fn} (${where}:${frame.lineNumber + 1})` : fn;
    byFunction.set(functionKey, (byFunction.get(functionKey) ?? 0) + deltaUs);
    byFile.set(where || fn, (byFile.get(where || fn) ?? 0) + deltaUs);
  });
  const rank = (m: Map<string, number>): CpuProfileEntry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, percent: totalUs ? (100 * us) / totalUs : 0 }));
  return { file, totalMs: totalUs / 1000, topFunctions: rank(byFunction), topFiles: rank(byFile) };
}

/** Paths relative to the checkout or to node_modules; `node:` internals as they are. */
function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules !== -1) return path.slice(inModules + 1);
  for (const top of ['/services/', '/shared/', '/infra/']) {
    const at = path.indexOf(top);
    if (at !== -1) return path.slice(at + 1);
  }
  return path;
}
