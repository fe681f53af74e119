// The readable forms of the admin API's answers (the --json form is the answer itself).
import { ago, bytes, duration, ofLimit, table } from './output.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the admin API's JSON, described in docs/admin-api.openapi.json */

export function statusView(s: any): string {
  const lines: string[] = [];
  if (s.process) lines.push(`gateway ${s.process.host}:${s.process.pid} (${s.process.service} ${s.process.version}), up ${duration(s.process.uptime_seconds)}`);
  lines.push('');
  lines.push(table(
    ['BACKEND', 'HEALTH', 'WRITES', 'DRAIN', 'USED / QUOTA', 'ORPHAN', 'COPIES', 'REQUESTS / LIMIT', 'EGRESS / LIMIT'],
    s.backends.map((b: any) => [
      b.name + (b.configured ? '' : ' (not configured)'),
      b.health + (b.breaker?.state === 'open' ? ` (open ${ago(b.breaker.open_since)})` : ''),
      b.writable ? 'yes' : `no${b.refusal ? ` (${b.refusal})` : ''}`,
      b.drain ? `${b.drain.state} ${b.drain.objects_moved}/${b.drain.objects_total}` : '-',
      b.quota ? ofLimit(b.quota.used_bytes, b.quota.limit_bytes, bytes) : '-',
      b.quota ? bytes(b.quota.orphan_bytes) : '-',
      b.objects,
      ofLimit(b.usage.api_requests, b.usage.limits?.api_requests),
      ofLimit(b.usage.egress_bytes, b.usage.limits?.egress_bytes, bytes),
    ]),
  ).trimEnd());
  lines.push('');
  lines.push(`objects ${s.objects}   replication factor ${s.replication.factor}, backlog ${s.replication.backlog}, over the factor ${s.replication.over_replicated}`);
  lines.push(`cleanup queue ${s.cleanup.queue_depth}, dead letters ${s.cleanup.dlq_depth}   open intents ${s.open_intents}, open uploads ${s.open_uploads}`);
  lines.push('');
  lines.push(table(
    ['SERVICE', 'PROCESS', 'VERSION', 'UPTIME', 'LAST SEEN'],
    s.services.map((p: any) => [p.service + (p.self ? ' *' : ''), `${p.host}:${p.pid}`, p.version, duration(p.uptime_seconds), ago(p.last_seen)]),
  ).trimEnd());
  return `${lines.join('\n')}\n`;
}

export function workersView(w: any): string {
  return table(
    ['JOB', 'SERVICE', 'PROCESS', 'LOCK', 'RUNS', 'LAST', 'LAST OK', 'FAILS', 'ERROR'],
    w.workers.map((r: any) => [
      r.job, r.service, r.process_id.split('@')[1]?.split(':').slice(0, 2).join(':'),
      r.lock === 'none' ? '-' : r.holds_lock ? `${r.lock} (holder)` : r.lock,
      r.runs, r.running ? 'running' : r.last_outcome ? `${r.last_outcome} ${ago(r.last_finished_at)}` : 'never',
      ago(r.last_success_at), r.consecutive_failures, r.last_error ? r.last_error.slice(0, 60) : '-',
    ]),
  );
}

export function locationsView(o: any): string {
  return `${o.bucket}/${o.key}  ${bytes(o.size)}  etag ${o.etag}  written ${o.created_at}\n\n` + table(
    ['BACKEND', 'STATE', 'SIZE', 'WRITTEN', 'VERIFIED', 'STORAGE KEY'],
    o.copies.map((c: any) => [c.backend, c.state + (c.current ? '' : ' (older write)'), bytes(c.size), c.written_at, c.verified_at ?? 'never', c.storage_key]),
  );
}

export function objectsView(page: any): string {
  const rows = [
    ...page.common_prefixes.map((p: string) => ['PRE', '', '', p]),
    ...page.objects.map((o: any) => [o.created_at.slice(0, 19).replace('T', ' '), bytes(o.size), `${o.copies} (${o.backends.join(',')})`, o.key]),
  ];
  return table(['MODIFIED', 'SIZE', 'COPIES', 'KEY'], rows);
}

export function logsView(answer: any): string {
  return answer.lines.map((l: any) => {
    const { time, level, msg, service, component, hostname: _h, pid: _p, ...rest } = l;
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    return `${time ?? ''} ${String(level ?? '').toUpperCase().padEnd(5)} ${component ?? service ?? ''}: ${msg ?? ''}${extra}`;
  }).join('\n') + (answer.lines.length > 0 ? '\n' : '');
}

export function usageView(u: any): string {
  return table(
    ['BACKEND', 'PERIOD', 'REQUESTS / LIMIT', 'EGRESS / LIMIT', 'INGRESS / LIMIT'],
    u.usage.map((r: any) => {
      const basis = r.effective ?? r;
      return [r.backend, r.period, ofLimit(basis.api_requests, r.limits.api_requests), ofLimit(basis.egress_bytes, r.limits.egress_bytes, bytes), ofLimit(basis.ingress_bytes, r.limits.ingress_bytes, bytes)];
    }),
  );
}

export function drainView(d: any): string {
  return `${d.backend}: ${d.state}, ${d.objects_moved}/${d.objects_total} objects moved (${bytes(d.bytes_moved)})` +
    `${d.last_error ? `, last error: ${d.last_error}` : ''}\n` +
    `  still holds: ${d.remaining.copies} copies (${bytes(d.remaining.bytes)}), ${d.remaining.intents} intents, ${d.remaining.open_uploads} uploads, ${d.remaining.debts} debts\n`;
}

export function queueView(q: any, what: string): string {
  const rows = q.items as any[];
  const head = `${what}: ${q.depth ?? q.count}${q.next_after !== null && q.next_after !== undefined ? ` (more after ${q.next_after})` : ''}\n`;
  if (rows.length === 0) return head;
  const keys = Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== 'object' || rows[0][k] === null).slice(0, 8);
  return head + table(keys.map((k) => k.toUpperCase()), rows.map((r) => keys.map((k) => r[k])));
}

/** One process's reload status, or every process's (`reload --all`). */
export function reloadView(r: any): string {
  if (Array.isArray(r.processes)) {
    return r.processes.map((p: any) => `${p.service} ${p.process_id}:\n${p.status ? indent(reloadView(p.status)) : `  no answer: ${p.error}\n`}`).join('');
  }
  if (!r.ok) return `refused (${r.trigger}, ${r.at}): ${r.error}\nthe running configuration is unchanged\n`;
  return `reloaded (${r.trigger}, ${r.at})\n` +
    `  applied: ${r.applied.length > 0 ? r.applied.join(', ') : 'nothing changed'}\n` +
    (r.restart_needed.length > 0 ? `  need a restart: ${r.restart_needed.join(', ')}\n` : '');
}

function indent(text: string): string {
  return text.split('\n').map((l) => (l === '' ? l : `  ${l}`)).join('\n');
}
