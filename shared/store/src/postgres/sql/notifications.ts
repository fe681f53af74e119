// notification_outbox: deliveries of events to notification endpoints.
import { sql } from 'slonik';
import { z } from 'zod';
import type { NotificationReadStatements, NotificationRow, NotificationTxStatements } from '../../notifications.js';
import { int4, int8 } from '../columns.js';
import type { Queries } from '../queries.js';

const notificationRow = z
  .object({
    id: int8,
    event_id: z.string(),
    endpoint: z.string(),
    object_key: z.string().nullable(),
    sequencer: z.string(),
    payload: z.string(),
    state: z.enum(['pending', 'dead']),
    attempts: int4,
    next_retry: int8,
    last_error: z.string().nullable(),
    created_at: int8,
    traceparent: z.string().nullable(),
  })
  .transform((r): NotificationRow => ({
    id: r.id,
    eventId: r.event_id,
    endpoint: r.endpoint,
    objectKey: r.object_key,
    sequencer: r.sequencer,
    payload: r.payload,
    state: r.state,
    attempts: r.attempts,
    nextRetry: r.next_retry,
    lastError: r.last_error,
    createdAt: r.created_at,
    traceparent: r.traceparent,
  }));

// The payload is read as text: the bytes stored are the bytes signed and sent (pg would
// parse a json column into an object).
const COLUMNS = sql.fragment`o.id, o.event_id, o.endpoint, o.object_key, o.sequencer, o.payload::text AS payload, o.state,
  o.attempts, o.next_retry, o.last_error, o.created_at, o.traceparent`;

export function notificationReads(db: Queries): NotificationReadStatements {
  return {
    async listDeadNotifications(afterId, limit) {
      return [
        ...(await db.any(sql.type(notificationRow)`
          SELECT ${COLUMNS} FROM notification_outbox o
           WHERE o.state = 'dead' AND o.id > ${afterId ?? -1} ORDER BY o.id LIMIT ${limit}`)),
      ];
    },

    async countNotifications(state) {
      return (await db.one(sql.type(z.object({ n: int8 }))`
        SELECT COUNT(*) AS n FROM notification_outbox WHERE state = ${state}`)).n;
    },
  };
}

export function notificationWrites(db: Queries): NotificationTxStatements {
  return {
    async insertNotification(eventId, row, now) {
      const result = await db.query(sql.unsafe`
        INSERT INTO notification_outbox (event_id, endpoint, object_key, sequencer, payload, traceparent, state, attempts, next_retry, created_at)
        VALUES (${eventId}, ${row.endpoint}, ${row.objectKey}, ${row.sequencer}, ${row.payload}::json, ${row.traceparent ?? null}, 'pending', 0, ${now}, ${now})
        ON CONFLICT (event_id, endpoint) DO NOTHING`);
      return result.rowCount === 1;
    },

    // SKIP LOCKED: rows another notifier is claiming right now are passed over, so replicas
    // lease disjoint rows. The NOT EXISTS keeps a key's rows for an endpoint in sequencer
    // order across replicas: a later row waits while an earlier one is pending, leased or not.
    async claimDueNotifications(now, claimedUntil, limit) {
      const rows = await db.any(sql.type(notificationRow)`
        UPDATE notification_outbox o SET claimed_until = ${claimedUntil}
          FROM (SELECT c.id FROM notification_outbox c
                 WHERE c.state = 'pending' AND c.next_retry <= ${now}
                   AND (c.claimed_until IS NULL OR c.claimed_until <= ${now})
                   AND (c.object_key IS NULL OR NOT EXISTS (
                         SELECT 1 FROM notification_outbox e
                          WHERE e.endpoint = c.endpoint AND e.object_key = c.object_key
                            AND e.state = 'pending' AND e.sequencer < c.sequencer))
                 ORDER BY c.next_retry, c.id LIMIT ${limit}
                 FOR UPDATE SKIP LOCKED) due
         WHERE o.id = due.id
        RETURNING ${COLUMNS}`);
      return [...rows].sort((a, b) => a.nextRetry - b.nextRetry || a.id - b.id);
    },

    async deleteNotification(id) {
      return (await db.query(sql.unsafe`DELETE FROM notification_outbox WHERE id = ${id}`)).rowCount === 1;
    },

    async recordNotificationFailure(id, error, nextRetry) {
      const result = await db.query(sql.unsafe`
        UPDATE notification_outbox
           SET attempts = attempts + 1, last_error = ${error}, next_retry = ${nextRetry}, claimed_until = NULL
         WHERE id = ${id} AND state = 'pending'`);
      return result.rowCount === 1;
    },

    async markNotificationDead(id, error) {
      const result = await db.query(sql.unsafe`
        UPDATE notification_outbox
           SET attempts = attempts + 1, last_error = ${error}, state = 'dead', claimed_until = NULL
         WHERE id = ${id} AND state = 'pending'`);
      return result.rowCount === 1;
    },

    async requeueDeadNotifications(ids, now) {
      const only = ids === null ? sql.fragment`` : sql.fragment`AND id = ANY(${sql.array(ids, 'int8')})`;
      const result = await db.query(sql.unsafe`
        UPDATE notification_outbox SET state = 'pending', attempts = 0, next_retry = ${now}, claimed_until = NULL
         WHERE state = 'dead' ${only}`);
      return result.rowCount;
    },
  };
}
