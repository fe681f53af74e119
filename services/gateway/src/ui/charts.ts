// The gateway's request and error rate over the last hour, kept in memory (a ring of
// one-minute buckets) so the overview can draw it without an external Prometheus; and the
// inline SVG chart of it. Each gateway counts what it answered itself.
import { html, type Html } from './html.js';

const MINUTE_MS = 60_000;
export const SERIES_MINUTES = 60;

export interface RateSample {
  /** start of the minute, epoch ms */
  at: number;
  requests: number;
  /** answers with status 500 or above (the gateway's or a backend's failure, not the client's) */
  errors: number;
}

export class RequestSeries {
  private readonly buckets: RateSample[] = [];

  record(status: number, now = Date.now()): void {
    const at = now - (now % MINUTE_MS);
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.at !== at) {
      last = { at, requests: 0, errors: 0 };
      this.buckets.push(last);
      if (this.buckets.length > SERIES_MINUTES) this.buckets.shift();
    }
    last.requests += 1;
    if (status >= 500) last.errors += 1;
  }

  /** One sample per minute of the last hour, oldest first, quiet minutes as zeros. */
  lastHour(now = Date.now()): RateSample[] {
    const current = now - (now % MINUTE_MS);
    const byMinute = new Map(this.buckets.map((b) => [b.at, b]));
    const out: RateSample[] = [];
    for (let i = SERIES_MINUTES - 1; i >= 0; i--) {
      const at = current - i * MINUTE_MS;
      const b = byMinute.get(at);
      out.push({ at, requests: b?.requests ?? 0, errors: b?.errors ?? 0 });
    }
    return out;
  }
}

const W = 600;
const H = 120;

function line(samples: readonly RateSample[], pick: (s: RateSample) => number, max: number): string {
  const step = samples.length > 1 ? W / (samples.length - 1) : W;
  return samples.map((s, i) => `${(i * step).toFixed(1)},${(H - (pick(s) / max) * (H - 10)).toFixed(1)}`).join(' ');
}

/** Requests and errors per minute as two polylines, with the peak and totals in words. */
export function requestChart(samples: readonly RateSample[]): Html {
  const max = Math.max(1, ...samples.map((s) => s.requests));
  const requests = samples.reduce((n, s) => n + s.requests, 0);
  const errors = samples.reduce((n, s) => n + s.errors, 0);
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${requests} requests and ${errors} errors in the last hour; peak ${max} per minute">
<line class="axis" x1="0" y1="${H}" x2="${W}" y2="${H}"></line>
<polyline class="series requests" points="${line(samples, (s) => s.requests, max)}"></polyline>
<polyline class="series errors" points="${line(samples, (s) => s.errors, max)}"></polyline></svg>
<figcaption><span class="key requests">requests</span> <span data-chart="requests">${requests}</span> · <span class="key errors">errors (5xx)</span> <span data-chart="errors">${errors}</span> · peak ${max}/min · 60 min</figcaption></figure>`;
}

/** One backend's folded usage of one UTC day (GET /admin/api/usage/daily). */
export interface DailyUsage {
  day: string;
  api_requests: number;
  egress_bytes: number;
  ingress_bytes: number;
}

/**
 * A backend's requests over the month, cumulative by UTC day (what a monthly limit is counted
 * against), as one polyline across every day of the month; data-day-requests carries the
 * per-day figures so the page can be checked against the admin API.
 */
export function monthUsageChart(period: string, days: readonly DailyUsage[]): Html {
  const [year, month] = period.split('-').map(Number) as [number, number];
  const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const byDay = new Map(days.map((d) => [Number(d.day.slice(8, 10)), d]));
  let total = 0;
  const cumulative: number[] = [];
  for (let day = 1; day <= length; day++) cumulative.push((total += byDay.get(day)?.api_requests ?? 0));
  const max = Math.max(1, total);
  const step = W / (length - 1);
  const points = cumulative.map((n, i) => `${(i * step).toFixed(1)},${(H - (n / max) * (H - 10)).toFixed(1)}`).join(' ');
  const perDay = days.map((d) => `${d.day}=${d.api_requests}`).join(' ');
  return html`<figure class="chart month-usage" data-day-requests="${perDay}"><svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${total} requests so far in ${period}, cumulative by day">
<line class="axis" x1="0" y1="${H}" x2="${W}" y2="${H}"></line>
<polyline class="series requests" points="${points}"></polyline></svg>
<figcaption>Requests in ${period}, cumulative by day: <span data-chart="month-requests">${total}</span></figcaption></figure>`;
}
