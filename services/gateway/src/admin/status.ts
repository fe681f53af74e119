// What an operator asks first: how is it going?
//   GET status   this process, every configured backend (health as this process's breaker
//                sees it, whether it takes writes and reads now, drain, quota, copies, this
//                month's usage against its limits), objects under (the replication backlog) and over
//                the replication factor, the cleanup
//                queue and its dead letters, open intents and uploads, and the services seen.
// One round of ledger reads; nothing here changes state.
import type { FastifyInstance } from 'fastify';
import { usagePeriod } from '@s3o/backends';
import type { GatewayDeps } from '../context.js';
import { sendJson } from './respond.js';
import { servicesSeen } from './fleet.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function registerStatusRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/status', async (_request, reply) => {
    const { ledger, config } = deps;
    const factor = config.replication.factor;
    const [quotas, copies, figures, cleanupDepth, dlqDepth, usageRows] = await Promise.all([
      ledger.getQuotas(), ledger.copiesByBackend(), ledger.operatorFigures(factor), ledger.cleanupDepth(),
      ledger.deadLetterDepth(), ledger.listUsage(usagePeriod(Date.now())),
    ]);
    const period = usagePeriod(Date.now());
    const breakers = new Map((deps.operator?.breakers?.states() ?? []).map((s) => [s.backend, s]));
    const names = [...new Set([...config.backends.map((b) => b.name), ...quotas.map((q) => q.backendName)])];
    const backends = await Promise.all(names.map(async (name) => {
      const configured = config.backends.find((b) => b.name === name);
      const quota = quotas.find((q) => q.backendName === name);
      const drain = await ledger.drains.getDrain(name);
      const breaker = breakers.get(name);
      const stored = usageRows.find((r) => r.backendName === name);
      const used = deps.usage?.board.effective(name, period) ?? { requests: stored?.apiRequests ?? 0, egress: stored?.egressBytes ?? 0, ingress: stored?.ingressBytes ?? 0 };
      const writeRefusal = deps.availability?.check(name, 'write') ?? null;
      const readRefusal = deps.availability?.check(name, 'read') ?? null;
      return {
        name,
        configured: configured !== undefined,
        health: breaker?.state === 'open' ? 'unhealthy' : 'ok',
        breaker: breaker ? { state: breaker.state, open_since: iso(breaker.openSince) } : null,
        writable: writeRefusal === null && drain?.state !== 'draining' && drain?.state !== 'drained',
        readable: readRefusal === null,
        refusal: writeRefusal?.reason ?? readRefusal?.reason ?? null,
        drain: drain && { state: drain.state, objects_total: drain.objectsTotal, objects_moved: drain.objectsMoved, last_error: drain.lastError },
        quota: quota && { used_bytes: quota.bytesUsed, limit_bytes: quota.bytesLimit, orphan_bytes: quota.orphanBytes, inflight_bytes: quota.inflightBytes },
        objects: copies.find((c) => c.backendName === name)?.copies ?? 0,
        usage: {
          period,
          api_requests: used.requests,
          egress_bytes: used.egress,
          ingress_bytes: used.ingress,
          limits: configured && { api_requests: configured.apiRequestLimit, egress_bytes: configured.egressByteLimit, ingress_bytes: configured.ingressByteLimit },
        },
      };
    }));
    const me = deps.operator?.process;
    return sendJson(reply, 200, {
      process: me && { service: me.service, version: me.version, host: me.host, pid: me.pid, started_at: iso(me.startedAt), uptime_seconds: Math.round((Date.now() - me.startedAt) / 1000) },
      backends,
      objects: figures.objects,
      replication: { factor, backlog: figures.underReplicated, over_replicated: figures.overReplicated },
      cleanup: { queue_depth: cleanupDepth, dlq_depth: dlqDepth },
      open_intents: figures.openIntents,
      open_uploads: figures.openUploads,
      services: await servicesSeen(deps),
    });
  });
}
