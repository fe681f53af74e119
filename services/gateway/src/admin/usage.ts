// Monthly usage per backend, for operators:
//   GET usage[?period=YYYY-MM|all]   default: the current month (UTC)
//   GET usage/daily[?period=YYYY-MM] the folded totals of each UTC day of the month with usage
// Each row: the stored totals (what the usage service has folded), the backend's limits
// (0 = unlimited) and what remains of each. For the current month `effective` adds what
// this gateway has counted but the usage service has not folded yet — the figures limits
// are enforced on — and `remaining` is computed from it.
import type { FastifyInstance } from 'fastify';
import { usagePeriod, type UsageCounts, type UsageLimits } from '@s3o/backends';
import type { UsageRow } from '@s3o/store';
import type { GatewayDeps } from '../context.js';
import { AdminError, sendJson } from './respond.js';

const NO_LIMITS: UsageLimits = { apiRequests: 0, egressBytes: 0, ingressBytes: 0 };

function remaining(limit: number, used: number): number | null {
  return limit === 0 ? null : Math.max(0, limit - used);
}

export function registerUsageRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/usage/daily', async (request, reply) => {
    const url = request.raw.url ?? '';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const period = query.get('period') ?? usagePeriod(Date.now());
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) throw new AdminError(400, 'InvalidArgument', 'period must be YYYY-MM');
    const days = await deps.ledger.listDailyUsage(period);
    return sendJson(reply, 200, {
      period,
      days: days.map((d) => ({ day: d.day, backend: d.backendName, api_requests: d.apiRequests, egress_bytes: d.egressBytes, ingress_bytes: d.ingressBytes })),
    });
  });

  app.get('/usage', async (request, reply) => {
    const url = request.raw.url ?? '';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const current = usagePeriod(Date.now());
    const asked = query.get('period') ?? current;
    if (asked !== 'all' && !/^\d{4}-(0[1-9]|1[0-2])$/.test(asked)) {
      throw new AdminError(400, 'InvalidArgument', 'period must be YYYY-MM or "all"');
    }
    const rows = await deps.ledger.listUsage(asked === 'all' ? null : asked);
    const stored = new Map(rows.map((r) => [`${r.period}\u0000${r.backendName}`, r]));
    // Every configured backend shows for the month asked, with zeros before its first request.
    const periods = asked === 'all' ? [...new Set([...rows.map((r) => r.period), current])].sort() : [asked];
    const names = [...new Set([...deps.config.backends.map((b) => b.name), ...rows.map((r) => r.backendName)])];
    const usage = [];
    for (const period of periods) {
      for (const backend of names) {
        const row: UsageRow | undefined = stored.get(`${period}\u0000${backend}`);
        const totals: UsageCounts = { requests: row?.apiRequests ?? 0, egress: row?.egressBytes ?? 0, ingress: row?.ingressBytes ?? 0 };
        if (!row && period !== current) continue;
        const limits = deps.usage?.limits.get(backend) ?? limitsFromConfig(deps, backend);
        const effective = period === current && deps.usage ? deps.usage.board.effective(backend, period) : null;
        const basis = effective ?? totals;
        usage.push({
          backend,
          period,
          api_requests: totals.requests,
          egress_bytes: totals.egress,
          ingress_bytes: totals.ingress,
          updated_at: row ? new Date(row.updatedAt).toISOString() : null,
          effective: effective && { api_requests: effective.requests, egress_bytes: effective.egress, ingress_bytes: effective.ingress },
          limits: { api_requests: limits.apiRequests, egress_bytes: limits.egressBytes, ingress_bytes: limits.ingressBytes },
          remaining: {
            api_requests: remaining(limits.apiRequests, basis.requests),
            egress_bytes: remaining(limits.egressBytes, basis.egress),
            ingress_bytes: remaining(limits.ingressBytes, basis.ingress),
          },
        });
      }
    }
    return sendJson(reply, 200, { period: asked, usage });
  });
}

function limitsFromConfig(deps: GatewayDeps, backend: string): UsageLimits {
  const b = deps.config.backends.find((c) => c.name === backend);
  return b ? { apiRequests: b.apiRequestLimit, egressBytes: b.egressByteLimit, ingressBytes: b.ingressByteLimit } : NO_LIMITS;
}
