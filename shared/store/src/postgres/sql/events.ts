// event_log (the outbox), consumer_offsets, processed_events and dead_events.
import { sql } from 'slonik';
import { z } from 'zod';
import type { EventRow, ReadStatements, TxStatements } from '../../tx-adapter.js';
import { int8, jsonParam } from '../columns.js';
import type { Queries } from '../queries.js';

const eventRow = z
  .object({
    seq: int8,
    id: z.string(),
    type: z.string(),
    resource: z.string(),
    source: z.string(),
    traceparent: z.string().nullable(),
    data: z.record(z.unknown()),
    created_at: int8,
    published_at: int8.nullable(),
  })
  .transform((r): EventRow => ({
    seq: r.seq,
    id: r.id,
    type: r.type,
    resource: r.resource,
    source: r.source,
    traceparent: r.traceparent,
    data: r.data,
    createdAt: r.created_at,
    publishedAt: r.published_at,
  }));

const EVENT_COLUMNS = sql.fragment`seq, id, type, resource, source, traceparent, data, created_at, published_at`;

export function eventReads(db: Queries): Pick<ReadStatements, 'selectEventsAfter' | 'selectLatestEventSeq' | 'selectConsumerOffset'> {
  return {
    async selectEventsAfter(afterSeq, limit) {
      return [
        ...(await db.any(sql.type(eventRow)`
          SELECT ${EVENT_COLUMNS} FROM event_log WHERE seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`)),
      ];
    },

    async selectLatestEventSeq() {
      return (await db.one(sql.type(z.object({ seq: int8 }))`SELECT COALESCE(MAX(seq), 0)::bigint AS seq FROM event_log`)).seq;
    },

    async selectConsumerOffset(consumer) {
      const row = await db.maybeOne(sql.type(z.object({ last_seq: int8 }))`
        SELECT last_seq FROM consumer_offsets WHERE consumer = ${consumer}`);
      return row ? row.last_seq : null;
    },
  };
}

type EventWrites = Pick<TxStatements, 'reserveEventSeqs' | 'insertEvent' | 'upsertConsumerOffset' | 'upsertDeadEvent'
  | 'lockUnpublishedEvents' | 'markEventsPublished' | 'insertProcessedEvent' | 'deleteSettledEvents' | 'deleteSettledProcessedEvents'>;

export function eventWrites(db: Queries): EventWrites {
  return {
    // A sequence hands out each value once, without waiting for other transactions — so,
    // unlike SQLite, seq order is not commit order across keys (per key it is: the sequencer
    // is taken under the key lock), and a rolled-back reservation leaves a gap.
    async reserveEventSeqs(count) {
      if (count <= 0) return [];
      const rows = await db.any(sql.type(z.object({ seq: int8 }))`
        SELECT nextval('event_log_seq') AS seq FROM generate_series(1, ${count}::int)`);
      return rows.map((r) => r.seq).sort((a, b) => a - b);
    },

    async insertEvent(row) {
      await db.query(sql.unsafe`
        INSERT INTO event_log (${EVENT_COLUMNS})
        VALUES (${row.seq}, ${row.id}, ${row.type}, ${row.resource}, ${row.source}, ${row.traceparent},
                ${jsonParam(row.data, 'json')}, ${row.createdAt}, ${row.publishedAt})`);
    },

    async upsertConsumerOffset(consumer, lastSeq, now) {
      await db.query(sql.unsafe`
        INSERT INTO consumer_offsets (consumer, last_seq, updated_at) VALUES (${consumer}, ${lastSeq}, ${now})
        ON CONFLICT (consumer) DO UPDATE SET last_seq = EXCLUDED.last_seq, updated_at = EXCLUDED.updated_at`);
    },

    // SKIP LOCKED: a concurrent relay takes the next unpublished rows instead of waiting for
    // (and then re-publishing) the ones this relay is publishing.
    async lockUnpublishedEvents(limit) {
      return [
        ...(await db.any(sql.type(eventRow)`
          SELECT ${EVENT_COLUMNS} FROM event_log WHERE published_at IS NULL
           ORDER BY seq LIMIT ${limit} FOR UPDATE SKIP LOCKED`)),
      ];
    },

    async markEventsPublished(seqs, now) {
      if (seqs.length === 0) return;
      await db.query(sql.unsafe`
        UPDATE event_log SET published_at = ${now} WHERE seq = ANY(${sql.array(seqs, 'int8')})`);
    },

    async insertProcessedEvent(consumer, eventId, now) {
      const result = await db.query(sql.unsafe`
        INSERT INTO processed_events (consumer, event_id, at) VALUES (${consumer}, ${eventId}, ${now})
        ON CONFLICT DO NOTHING`);
      return result.rowCount === 1;
    },

    async upsertDeadEvent(consumer, eventId, attempts, lastError, now) {
      await db.query(sql.unsafe`
        INSERT INTO dead_events (consumer, event_id, attempts, last_error, at)
        VALUES (${consumer}, ${eventId}, ${attempts}, ${lastError}, ${now})
        ON CONFLICT (consumer, event_id) DO UPDATE SET
          attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error, at = EXCLUDED.at`);
    },

    async deleteSettledEvents(before, unpublishedToo, limit) {
      const behindEveryConsumer = unpublishedToo
        ? sql.fragment`OR (published_at IS NULL AND created_at < ${before}
             AND seq <= (SELECT MIN(last_seq) FROM consumer_offsets WHERE updated_at >= ${before}))`
        : sql.fragment``;
      const result = await db.query(sql.unsafe`
        DELETE FROM event_log WHERE seq IN (
          SELECT seq FROM event_log
           WHERE (published_at IS NOT NULL AND published_at < ${before}) ${behindEveryConsumer}
           ORDER BY seq LIMIT ${limit})`);
      return result.rowCount;
    },

    async deleteSettledProcessedEvents(before, limit) {
      const result = await db.query(sql.unsafe`
        DELETE FROM processed_events WHERE (consumer, event_id) IN (
          SELECT consumer, event_id FROM processed_events p
           WHERE p.at < ${before} AND NOT EXISTS (SELECT 1 FROM event_log e WHERE e.id = p.event_id)
           LIMIT ${limit})`);
      return result.rowCount;
    },
  };
}
