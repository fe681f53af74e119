// Notification deliveries the notifier gave up on, for operators:
//   GET  notifications/dead[?limit=N&after=ID]   dead deliveries by id, with the body that was sent
//   POST notifications/dead/requeue              body empty or `{}`: every dead delivery; `{"ids":[…]}`: those
// Requeued deliveries are pending again with attempts 0, due at once; the notifiers pick them
// up at their next poll (notifications.poll_interval).
import type { FastifyInstance } from 'fastify';
import type { NotificationRow } from '@s3o/store';
import type { GatewayDeps } from '../context.js';
import type { AdminAuth } from './auth.js';
import { parseRequeueBody } from './cleanup-queue.js';
import { intParam, sendJson } from './respond.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

function deadJson(row: NotificationRow) {
  return {
    id: row.id,
    event_id: row.eventId,
    endpoint: row.endpoint,
    object_key: row.objectKey,
    sequencer: row.sequencer,
    attempts: row.attempts,
    last_error: row.lastError,
    created_at: new Date(row.createdAt).toISOString(),
    payload: row.payload,
  };
}

export function registerNotificationRoutes(app: FastifyInstance, deps: GatewayDeps, auth: AdminAuth): void {
  const outbox = deps.ledger.notifications;

  app.get('/notifications/dead', async (request, reply) => {
    const url = request.raw.url ?? '';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const after = intParam(query, 'after', null, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(query, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT)!;
    const rows = await outbox.listDead(after, limit);
    return sendJson(reply, 200, {
      depth: await outbox.depth('dead'),
      items: rows.map(deadJson),
      next_after: rows.length === limit ? rows.at(-1)!.id : null,
    });
  });

  app.post('/notifications/dead/requeue', async (request, reply) => {
    const ids = parseRequeueBody(await auth.body(request));
    const requeued = await outbox.requeueDead(ids);
    deps.logger.info({ requeued, ids: ids ?? 'all', requestId: request.id }, 'dead notifications requeued');
    return sendJson(reply, 200, { requeued });
  });
}
