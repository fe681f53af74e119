// notification_outbox: deliveries of events to notification endpoints.
import type { NotificationReadStatements, NotificationRow, NotificationState, NotificationTxStatements } from '../../notifications.js';
import { int, type SqliteConnection } from '../connection.js';

interface RawNotification {
  id: bigint;
  event_id: string;
  endpoint: string;
  object_key: string | null;
  sequencer: string;
  payload: string;
  state: NotificationState;
  attempts: bigint;
  next_retry: bigint;
  last_error: string | null;
  created_at: bigint;
  traceparent: string | null;
}

function notificationFromRow(r: RawNotification): NotificationRow {
  return {
    id: int(r.id),
    eventId: r.event_id,
    endpoint: r.endpoint,
    objectKey: r.object_key,
    sequencer: r.sequencer,
    payload: r.payload,
    state: r.state,
    attempts: int(r.attempts),
    nextRetry: int(r.next_retry),
    lastError: r.last_error,
    createdAt: int(r.created_at),
    traceparent: r.traceparent,
  };
}

export function notificationReads(c: SqliteConnection): NotificationReadStatements {
  return {
    async listDeadNotifications(afterId, limit) {
      return c
        .all<RawNotification>(
          `SELECT * FROM notification_outbox WHERE state = 'dead' AND id > @afterId ORDER BY id LIMIT @limit`,
          { afterId: afterId ?? -1, limit },
        )
        .map(notificationFromRow);
    },

    async countNotifications(state) {
      return int(c.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM notification_outbox WHERE state = @state`, { state })!.n);
    },
  };
}

export function notificationWrites(c: SqliteConnection): NotificationTxStatements {
  return {
    async insertNotification(eventId, row, now) {
      return (
        c.run(
          `INSERT INTO notification_outbox (event_id, endpoint, object_key, sequencer, payload, traceparent, state, attempts, next_retry, created_at)
           VALUES (@eventId, @endpoint, @objectKey, @sequencer, @payload, @traceparent, 'pending', 0, @now, @now)
           ON CONFLICT (event_id, endpoint) DO NOTHING`,
          { eventId, endpoint: row.endpoint, objectKey: row.objectKey, sequencer: row.sequencer, payload: row.payload, traceparent: row.traceparent ?? null, now },
        ) === 1
      );
    },

    // SQLite's single writer makes the claim atomic; the NOT EXISTS keeps a key's rows for an
    // endpoint in sequencer order (a later row waits while an earlier one is pending, leased or not).
    async claimDueNotifications(now, claimedUntil, limit) {
      const rows = c.all<RawNotification>(
        `UPDATE notification_outbox SET claimed_until = @claimedUntil
          WHERE id IN (SELECT o.id FROM notification_outbox o
                        WHERE o.state = 'pending' AND o.next_retry <= @now
                          AND (o.claimed_until IS NULL OR o.claimed_until <= @now)
                          AND (o.object_key IS NULL OR NOT EXISTS (
                                SELECT 1 FROM notification_outbox e
                                 WHERE e.endpoint = o.endpoint AND e.object_key = o.object_key
                                   AND e.state = 'pending' AND e.sequencer < o.sequencer))
                        ORDER BY o.next_retry, o.id LIMIT @limit)
         RETURNING *`,
        { now, claimedUntil, limit },
      );
      return rows.map(notificationFromRow).sort((a, b) => a.nextRetry - b.nextRetry || a.id - b.id);
    },

    async deleteNotification(id) {
      return c.run(`DELETE FROM notification_outbox WHERE id = @id`, { id }) === 1;
    },

    async recordNotificationFailure(id, error, nextRetry) {
      return (
        c.run(
          `UPDATE notification_outbox
              SET attempts = attempts + 1, last_error = @error, next_retry = @nextRetry, claimed_until = NULL
            WHERE id = @id AND state = 'pending'`,
          { id, error, nextRetry },
        ) === 1
      );
    },

    async markNotificationDead(id, error) {
      return (
        c.run(
          `UPDATE notification_outbox
              SET attempts = attempts + 1, last_error = @error, state = 'dead', claimed_until = NULL
            WHERE id = @id AND state = 'pending'`,
          { id, error },
        ) === 1
      );
    },

    // The id list travels as one JSON array parameter.
    async requeueDeadNotifications(ids, now) {
      const only = ids === null ? '' : 'AND id IN (SELECT value FROM json_each(@ids))';
      return c.run(
        `UPDATE notification_outbox SET state = 'pending', attempts = 0, next_retry = @now, claimed_until = NULL
          WHERE state = 'dead' ${only}`,
        { ids: ids === null ? null : JSON.stringify(ids), now },
      );
    },
  };
}
