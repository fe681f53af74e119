// The dashboard's pages, rendered on the server from the admin API's documents. The pages
// work as documents on their own; the script of assets.ts adds the lazy object tree, the
// inspector, uploads and the live operations on top, talking to the admin API with the
// session cookie and the CSRF token this page carries in a meta tag.
import { formatBytes, formatCount, html, type Html } from './html.js';
import type { Session } from './session.js';
import { recentBackendLatency } from '@s3o/telemetry';
import { monthUsageChart, requestChart, type DailyUsage, type RateSample } from './charts.js';

export interface PageContext {
  base: string;
  session: Session;
  /** the hashed names of the static files, so a new build is never served from a stale cache */
  assets: { js: string; css: string };
}

type Nav = 'overview' | 'objects' | 'operations';

function layout(ctx: PageContext, title: string, nav: Nav, main: Html): string {
  const link = (name: Nav, href: string, label: string) =>
    html`<a href="${href}"${name === nav ? html` aria-current="page"` : ''}>${label}</a>`;
  const canWrite = ctx.session.principal.grants.has('admin-write');
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${ctx.session.csrf}"><meta name="ui-base" content="${ctx.base}">
<title>${title} · s3-orchestrator</title><link rel="stylesheet" href="${ctx.base}/static/${ctx.assets.css}"></head>
<body data-can-write="${canWrite ? 'true' : 'false'}"><a class="skip" href="#main">Skip to content</a>
<header><span class="brand">s3-orchestrator</span><nav aria-label="Pages">${link('overview', `${ctx.base}/`, 'Overview')}${link('objects', `${ctx.base}/objects`, 'Objects')}${link('operations', `${ctx.base}/operations`, 'Operations')}</nav>
<form method="post" action="${ctx.base}/logout" class="logout"><input type="hidden" name="csrf" value="${ctx.session.csrf}"><span class="who">${ctx.session.principal.accessKeyId}</span> <button type="submit">Log out</button></form></header>
<main id="main" tabindex="-1"><h1>${title}</h1>${main}</main><script src="${ctx.base}/static/${ctx.assets.js}" defer></script></body></html>`}`;
}

export function loginPage(base: string, cssName: string, csrf: string, problem: string | null): string {
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · s3-orchestrator</title><link rel="stylesheet" href="${base}/static/${cssName}"></head>
<body class="login"><main id="main"><h1>s3-orchestrator</h1>
<form method="post" action="${base}/login" class="card login-form">
${problem === null ? '' : html`<p class="error" role="alert">${problem}</p>`}
<input type="hidden" name="csrf" value="${csrf}">
<label for="access_key_id">Access key id</label><input id="access_key_id" name="access_key_id" autocomplete="username" required autofocus>
<label for="secret_access_key">Secret access key</label><input id="secret_access_key" name="secret_access_key" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button></form></main></body></html>`}`;
}

/** A horizontal bar of parts (used / orphan / free …) as inline SVG: no inline styles under the CSP. */
function bar(parts: Array<{ value: number; cls: string; label: string }>, total: number): Html {
  let x = 0;
  const rects = parts.map((p) => {
    const width = total > 0 ? Math.max(0, Math.min(100 - x, (p.value / total) * 100)) : 0;
    const rect = html`<rect class="${p.cls}" x="${x.toFixed(2)}" y="0" width="${width.toFixed(2)}" height="10"><title>${p.label}</title></rect>`;
    x += width;
    return rect;
  });
  return html`<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="${parts.map((p) => p.label).join(', ')}"><rect class="track" x="0" y="0" width="100" height="10"></rect>${rects}</svg>`;
}

function limitRow(label: string, used: number, limit: number | null | undefined, format: (n: number) => string): Html {
  return html`<tr><th scope="row">${label}</th><td>${format(used)}${limit ? html` of ${format(limit)}` : ''}</td><td>${limit ? bar([{ value: used, cls: used >= limit ? 'over' : 'used', label: `${Math.round((used / limit) * 100)}%` }], limit) : html`<span class="muted">no limit</span>`}</td></tr>`;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the admin API's status document, as served */
export function overviewPage(ctx: PageContext, status: any, rates: readonly RateSample[], daily: { period: string; days: Array<DailyUsage & { backend: string }> }): string {
  const backends: any[] = status.backends;
  const stored = backends.reduce((n, b) => n + (b.quota?.used_bytes ?? 0), 0);
  const limited = backends.every((b) => b.quota?.limit_bytes);
  const quota = backends.reduce((n, b) => n + (b.quota?.limit_bytes ?? 0), 0);
  const cards = backends.map((b) => {
    const q = b.quota;
    const used = q?.used_bytes ?? 0;
    const orphan = q?.orphan_bytes ?? 0;
    const limit = q?.limit_bytes ?? null;
    const drain = b.drain?.state ?? 'none';
    const breaker = b.breaker?.state ?? 'closed';
    const latency = recentBackendLatency(b.name);
    return html`<article class="card backend" data-backend="${b.name}" aria-labelledby="backend-${b.name}">
<h3 id="backend-${b.name}">${b.name}${b.configured ? '' : html` <span class="badge warn">not configured</span>`}</h3>
<p class="badges"><span class="badge ${b.health === 'ok' ? 'ok' : 'bad'}" data-field="health">${b.health}</span>
<span class="badge ${breaker === 'closed' ? 'ok' : 'bad'}">breaker <span data-field="breaker">${breaker}</span></span>
<span class="badge ${drain === 'none' || drain === 'cancelled' ? 'ok' : 'warn'}">drain <span data-field="drain">${drain}</span></span>
<span class="badge ${b.writable ? 'ok' : 'warn'}">${b.writable ? 'takes writes' : 'no writes'}</span></p>
${bar([{ value: used, cls: 'used', label: `used ${formatBytes(used)}` }, { value: orphan, cls: 'orphan', label: `orphan ${formatBytes(orphan)}` }], limit ?? Math.max(used + orphan, 1))}
<dl class="figures"><div><dt>Used</dt><dd data-field="used_bytes" data-value="${used}">${formatBytes(used)}</dd></div>
<div><dt>Orphan</dt><dd data-field="orphan_bytes" data-value="${orphan}">${formatBytes(orphan)}</dd></div>
<div><dt>Free</dt><dd data-field="free_bytes">${limit === null ? 'no quota' : formatBytes(Math.max(0, limit - used - orphan))}</dd></div>
<div><dt>Quota</dt><dd data-field="limit_bytes" data-value="${limit ?? ''}">${limit === null ? 'none' : formatBytes(limit)}</dd></div>
<div><dt>Copies</dt><dd data-field="objects">${formatCount(b.objects)}</dd></div>
<div><dt>Latency p50 / p95</dt><dd data-field="latency" title="${latency ? `last ${latency.calls} calls from this gateway's process, ${latency.errors} failed` : 'no call yet from this process'}">${latency ? `${Math.round(latency.p50Ms)} / ${Math.round(latency.p95Ms)} ms` : '—'}</dd></div></dl>
<table class="limits"><caption>This month (${b.usage.period})</caption><tbody>
${limitRow('Requests', b.usage.api_requests, b.usage.limits?.api_requests, formatCount)}
${limitRow('Egress', b.usage.egress_bytes, b.usage.limits?.egress_bytes, formatBytes)}
${limitRow('Ingress', b.usage.ingress_bytes, b.usage.limits?.ingress_bytes, formatBytes)}
</tbody></table>${monthUsageChart(daily.period, daily.days.filter((d) => d.backend === b.name))}</article>`;
  });
  const main = html`<section class="totals" aria-label="Totals">
<div class="card stat"><span class="label">Stored</span><span class="value" data-total="stored" data-value="${stored}">${formatBytes(stored)}</span><span class="muted">${limited ? html`of ${formatBytes(quota)} quota` : 'some backends have no quota'}</span>${limited ? bar([{ value: stored, cls: 'used', label: `${formatBytes(stored)} of ${formatBytes(quota)}` }], quota) : ''}</div>
<div class="card stat"><span class="label">Objects</span><span class="value" data-total="objects">${formatCount(status.objects)}</span></div>
<div class="card stat"><span class="label">Under-replicated</span><span class="value" data-total="backlog">${formatCount(status.replication.backlog)}</span><span class="muted">factor ${status.replication.factor}</span></div>
<div class="card stat"><span class="label">Over-replicated</span><span class="value" data-total="over-replicated">${formatCount(status.replication.over_replicated)}</span><span class="muted">copies beyond the factor, trimmed by the over-replication sweep</span></div>
<div class="card stat"><span class="label">Cleanup debt</span><span class="value" data-total="cleanup">${formatCount(status.cleanup.queue_depth)}</span><span class="muted">${formatCount(status.cleanup.dlq_depth)} dead-lettered</span></div>
</section>
<section aria-labelledby="rates"><h2 id="rates">Requests over the last hour (this gateway)</h2><div class="card">${requestChart(rates)}</div></section>
<section aria-labelledby="backends"><h2 id="backends">Backends</h2><div class="cards">${cards}</div></section>`;
  return layout(ctx, 'Overview', 'overview', main);
}

export function objectsPage(ctx: PageContext, buckets: readonly string[]): string {
  const main = html`<div class="split"><section class="card tree-pane" aria-labelledby="tree-title"><h2 id="tree-title">Buckets</h2>
<ul class="tree" role="tree" aria-label="Buckets">${buckets.map((b) => html`<li role="treeitem" aria-expanded="false" data-bucket="${b}" data-prefix=""><button type="button" class="node folder">${b}</button><ul role="group" hidden></ul></li>`)}</ul></section>
<section class="card inspector" id="inspector" aria-live="polite" aria-labelledby="inspector-title"><h2 id="inspector-title">Inspector</h2><p class="muted">Choose a bucket folder or an object.</p></section></div>`;
  return layout(ctx, 'Objects', 'objects', main);
}

export function operationsPage(ctx: PageContext, backends: readonly string[], jobs: readonly string[]): string {
  // Without admin-write there are no action buttons at all (and the admin API refuses the actions anyway).
  const canWrite = ctx.session.principal.grants.has('admin-write');
  const actions = (content: Html) => (canWrite ? html`<p class="actions">${content}</p>` : '');
  const main = html`<section aria-labelledby="drains"><h2 id="drains">Backends</h2><div class="cards">${backends.map((b) => html`<article class="card" data-drain="${b}"><h3>${b}</h3>
<p>Drain: <strong data-field="state">…</strong> <span data-field="progress" class="muted"></span></p><progress max="1" value="0" aria-label="Drain progress of ${b}"></progress>
${actions(html`<button type="button" data-action="drain">Drain</button> <button type="button" data-action="cancel">Cancel drain / return to service</button>`)}</article>`)}</div></section>
<section aria-labelledby="jobs"><h2 id="jobs">Run a job now</h2><div class="card">${canWrite ? actions(html`${jobs.map((j) => html`<button type="button" data-job="${j}">${j}</button> `)}`) : html`<p class="muted">Your grants allow reading only.</p>`}<pre class="stream" id="job-output" aria-live="polite" tabindex="0"></pre></div></section>
<section aria-labelledby="queues"><h2 id="queues">Queues</h2><div class="cards">
<div class="card"><h3>Cleanup queue</h3><div data-list="cleanup-queue"></div></div>
<div class="card"><h3>Cleanup dead letters</h3>${actions(html`<button type="button" data-requeue="cleanup-dlq">Requeue all</button>`)}<div data-list="cleanup-dlq"></div></div>
<div class="card"><h3>Dead notifications</h3>${actions(html`<button type="button" data-requeue="notifications/dead">Requeue all</button>`)}<div data-list="notifications/dead"></div></div></div></section>
<section aria-labelledby="logs"><h2 id="logs">Log of this gateway</h2><div class="card"><label for="log-level">Level</label> <select id="log-level">${['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => html`<option${l === 'info' ? html` selected` : ''}>${l}</option>`)}</select> <button type="button" id="log-refresh">Refresh</button><pre class="stream" id="log-lines" tabindex="0"></pre></div></section>
<section aria-labelledby="config"><h2 id="config">Running configuration</h2><div class="card"><pre class="stream" id="config-view" tabindex="0"></pre></div></section>`;
  return layout(ctx, 'Operations', 'operations', main);
}
