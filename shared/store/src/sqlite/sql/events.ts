// event_log (the outbox), consumer_offsets and dead_events.
import type { EventRow, ReadStatements, TxStatements } from '../../tx-adapter.js';
import { int, intOrNull, type SqliteConnection } from '../connection.js';

interface RawEvent {
  seq: bigint;
  id: string;
  type: string;
  resource: string;
  source: string;
  traceparent: string | null;
  data: string;
  created_at: bigint;
  published_at: bigint | null;
}

function eventFromRow(r: RawEvent): EventRow {
  return {
    seq: int(r.seq),
    id: r.id,
    type: r.type,
    resource: r.resource,
    source: r.source,
    traceparent: r.traceparent,
    data: JSON.parse(r.data) as Record<string, unknown>,
    createdAt: int(r.created_at),
    publishedAt: intOrNull(r.published_at),
  };
}

export function eventReads(c: SqliteConnection): Pick<ReadStatements, 'selectEventsAfter' | 'selectLatestEventSeq' | 'selectConsumerOffset'> {
  return {
    async selectEventsAfter(afterSeq, limit) {
      return c
        .all<RawEvent>(`SELECT * FROM event_log WHERE seq > @afterSeq ORDER BY seq LIMIT @limit`, { afterSeq, limit })
        .map(eventFromRow);
    },

    async selectLatestEventSeq() {
      return int(c.get<{ seq: bigint }>(`SELECT COALESCE(MAX(seq), 0) AS seq FROM event_log`)!.seq);
    },

    async selectConsumerOffset(consumer) {
      const r = c.get<{ last_seq: bigint }>(`SELECT last_seq FROM consumer_offsets WHERE consumer = @consumer`, { consumer });
      return r ? int(r.last_seq) : null;
    },
  };
}

type EventWrites = Pick<TxStatements, 'reserveEventSeqs' | 'insertEvent' | 'upsertConsumerOffset' | 'upsertDeadEvent' | 'deleteSettledEvents' | 'deleteSettledProcessedEvents'
  | 'lockUnpublishedEvents' | 'markEventsPublished' | 'insertProcessedEvent'>;

export function eventWrites(c: SqliteConnection): EventWrites {
  return {
    // event_log's AUTOINCREMENT counter (seeded by the first migration) is the sequence:
    // advancing it reserves the values, and inserting them explicitly keeps it in step.
    async reserveEventSeqs(count) {
      if (count <= 0) return [];
      const r = c.get<{ seq: bigint }>(
        `UPDATE sqlite_sequence SET seq = seq + @count WHERE name = 'event_log' RETURNING seq`,
        { count },
      );
      if (!r) throw new Error("sqlite_sequence has no row for event_log; the database was not migrated by this build");
      const last = int(r.seq);
      return Array.from({ length: count }, (_, i) => last - count + 1 + i);
    },

    async insertEvent(row) {
      c.run(
        `INSERT INTO event_log (seq, id, type, resource, source, traceparent, data, created_at, published_at)
         VALUES (@seq, @id, @type, @resource, @source, @traceparent, @data, @createdAt, @publishedAt)`,
        { ...row, data: JSON.stringify(row.data) },
      );
    },

    async upsertConsumerOffset(consumer, lastSeq, now) {
      c.run(
        `INSERT INTO consumer_offsets (consumer, last_seq, updated_at) VALUES (@consumer, @lastSeq, @now)
         ON CONFLICT (consumer) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at`,
        { consumer, lastSeq, now },
      );
    },

    // SQLite's single writer already excludes other relays for the transaction's length.
    async lockUnpublishedEvents(limit) {
      return c
        .all<RawEvent>(`SELECT * FROM event_log WHERE published_at IS NULL ORDER BY seq LIMIT @limit`, { limit })
        .map(eventFromRow);
    },

    async markEventsPublished(seqs, now) {
      for (const seq of seqs) c.run(`UPDATE event_log SET published_at = @now WHERE seq = @seq`, { seq, now });
    },

    async insertProcessedEvent(consumer, eventId, now) {
      const r = c.run(
        `INSERT INTO processed_events (consumer, event_id, at) VALUES (@consumer, @eventId, @now) ON CONFLICT DO NOTHING`,
        { consumer, eventId, now },
      );
      return r > 0;
    },

    async upsertDeadEvent(consumer, eventId, attempts, lastError, now) {
      c.run(
        `INSERT INTO dead_events (consumer, event_id, attempts, last_error, at) VALUES (@consumer, @eventId, @attempts, @lastError, @now)
         ON CONFLICT (consumer, event_id) DO UPDATE SET
           attempts = excluded.attempts, last_error = excluded.last_error, at = excluded.at`,
        { consumer, eventId, attempts, lastError, now },
      );
    },

    async deleteSettledEvents(before, unpublishedToo, limit) {
      const behindEveryConsumer = unpublishedToo
        ? `OR (published_at IS NULL AND created_at < @before
               AND seq <= (SELECT MIN(last_seq) FROM consumer_offsets WHERE updated_at >= @before))`
        : '';
      return c.run(
        `DELETE FROM event_log WHERE seq IN (
           SELECT seq FROM event_log
            WHERE (published_at IS NOT NULL AND published_at < @before) ${behindEveryConsumer}
            ORDER BY seq LIMIT @limit)`,
        { before, limit },
      );
    },

    async deleteSettledProcessedEvents(before, limit) {
      return c.run(
        `DELETE FROM processed_events WHERE (consumer, event_id) IN (
           SELECT consumer, event_id FROM processed_events p
            WHERE p.at < @before AND NOT EXISTS (SELECT 1 FROM event_log e WHERE e.id = p.event_id)
            LIMIT @limit)`,
        { before, limit },
      );
    },
  };
}
