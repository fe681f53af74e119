// `admin replicate|over-replication|rebalance|lifecycle|reconcile|scrub|usage-flush`: one pass now
// (`scrub [--key BUCKET/KEY] [--backend NAME]`: one object's copies, or only one backend's)
// through POST /admin/api/jobs/{job}/run, following its NDJSON progress — a bar with the counts
// so far on a terminal, a plain line each time the counts change otherwise, the summary line
// (its counts) at the end; the answer's last line with --json.
import { EXIT, type AdminSession } from './connection.js';
import { countsText, json, Progress } from './output.js';

export const JOB_VERBS = ['replicate', 'over-replication', 'rebalance', 'lifecycle', 'reconcile', 'scrub', 'usage-flush'] as const;
export type JobVerb = (typeof JOB_VERBS)[number];

/** The scrub scope's query from `--key BUCKET/KEY` and `--backend NAME`; null when the key names no bucket. */
export function scrubQuery(key: string | undefined, backend: string | undefined): Array<[string, string]> | null {
  const query: Array<[string, string]> = [];
  if (key !== undefined) {
    const slash = key.indexOf('/');
    if (slash <= 0 || slash === key.length - 1) return null;
    query.push(['bucket', key.slice(0, slash)], ['key', key.slice(slash + 1)]);
  }
  if (backend !== undefined) query.push(['backend', backend]);
  return query;
}

/** `query`: the pass's scope (`admin scrub --key BUCKET/KEY --backend NAME`). */
export async function runJob(session: AdminSession, job: JobVerb, asJson: boolean, out = process.stdout, err = process.stderr,
  query: Array<[string, string]> = []): Promise<number> {
  const progress = asJson ? null : new Progress(err, job);
  const last = await session.stream({ method: 'POST', path: `/jobs/${job}/run`, query }, (line) => {
    if (line['event'] === 'running') {
      const counts = line['counts'] && typeof line['counts'] === 'object' ? line['counts'] as Record<string, unknown> : undefined;
      progress?.update(Number(line['elapsed_ms'] ?? 0), counts);
    }
    else if (line['event'] === 'started' && progress && !progress.interactive) err.write(`${job}: started\n`);
  });
  progress?.done();
  if (!last) {
    err.write(`${job}: the gateway ended the stream without an outcome\n`);
    return EXIT.unavailable;
  }
  const failed = last['event'] !== 'done' || last['status'] !== 'ok';
  if (asJson) out.write(json(last));
  else {
    const seconds = (Number(last['elapsed_ms'] ?? 0) / 1000).toFixed(1);
    const counts = last['counts'] && typeof last['counts'] === 'object' ? countsText(last['counts'] as Record<string, unknown>) : '';
    out.write(failed
      ? `${job}: ${String(last['status'] ?? 'failed')} after ${seconds}s: ${String(last['error'] ?? last['reason'] ?? '')}\n`
      : `${job}: done in ${seconds}s${counts ? `: ${counts}` : ''}\n`);
  }
  return failed ? EXIT.problems : EXIT.ok;
}
