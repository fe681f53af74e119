// pending_objects: intents of writes, replicas and moves whose bytes are not committed yet.
import { sql } from 'slonik';
import { z } from 'zod';
import type { ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { IntentRow, ObjectIdentity } from '../../types.js';
import { int8, jsonParam, type Fragment } from '../columns.js';
import type { Queries } from '../queries.js';
import { storedChecksum } from './identity-columns.js';
import { listHoldings, type HoldingTable } from './holding-pages.js';
import { chargedOf, drainingOf, inflightOf } from './quotas.js';

/** ObjectIdentity as stored in the `identity` JSONB column. */
const storedIdentity: z.ZodType<ObjectIdentity> = z.object({
  size: z.number().int().nonnegative(),
  etag: z.string(),
  contentType: z.string(),
  userMetadata: z.record(z.string()),
  headers: z.object({
    cacheControl: z.string().optional(),
    contentDisposition: z.string().optional(),
    contentEncoding: z.string().optional(),
    contentLanguage: z.string().optional(),
    expires: z.string().optional(),
  }),
  contentHash: z.string().nullable().optional(),
  storedSize: z.number().int().nonnegative().nullable().optional(),
  encryption: z.string().nullable().optional(),
  tags: z.record(z.string()).optional(),
  partSizes: z.array(z.number()).optional(),
  partHashes: z.array(z.string()).optional(),
  checksum: storedChecksum.optional(),
});

const intentRow = z
  .object({
    intent_id: z.string(),
    kind: z.enum(['write', 'replica', 'move']),
    object_key: z.string(),
    backend_name: z.string(),
    storage_key: z.string(),
    size_bytes: int8,
    identity: storedIdentity.nullable(),
    created_at: int8,
    heartbeat_at: int8,
  })
  .transform((r): IntentRow => ({
    intentId: r.intent_id,
    kind: r.kind,
    objectKey: r.object_key,
    backendName: r.backend_name,
    storageKey: r.storage_key,
    sizeBytes: r.size_bytes,
    identity: r.identity,
    createdAt: r.created_at,
    heartbeatAt: r.heartbeat_at,
  }));

const INTENT_COLUMNS = sql.fragment`intent_id, kind, object_key, backend_name, storage_key, size_bytes, identity,
  created_at, heartbeat_at`;

const INTENT_HOLDINGS: HoldingTable = {
  kind: 'intent', table: 'pending_objects', rowColumn: 'intent_id', numericRow: false,
  objectKey: sql.fragment`t.object_key`, size: sql.fragment`t.size_bytes`,
};

type IntentReads = Pick<ReadStatements, 'selectIntent' | 'listStaleIntents' | 'listIntentHoldings'>;

export function intentReads(db: Queries): IntentReads {
  return {
    async selectIntent(intentId) {
      return db.maybeOne(sql.type(intentRow)`SELECT ${INTENT_COLUMNS} FROM pending_objects WHERE intent_id = ${intentId}`);
    },

    async listStaleIntents(heartbeatBefore, after, limit) {
      const resume = after === null
        ? sql.fragment`TRUE`
        : sql.fragment`(heartbeat_at > ${after.heartbeatAt} OR (heartbeat_at = ${after.heartbeatAt} AND intent_id > ${after.intentId}))`;
      return [
        ...(await db.any(sql.type(intentRow)`
          SELECT ${INTENT_COLUMNS} FROM pending_objects
           WHERE heartbeat_at < ${heartbeatBefore} AND ${resume}
           ORDER BY heartbeat_at, intent_id LIMIT ${limit}`)),
      ];
    },

    async listIntentHoldings(backendName, page) {
      return listHoldings(db, INTENT_HOLDINGS, backendName, page);
    },
  };
}

type IntentWrites = Pick<TxStatements, 'insertIntent' | 'admitIntent' | 'takeIntent' | 'touchIntents' | 'takeStaleIntent'>;

// An intent's values, typed: a VALUES row, or a SELECT list for INSERT … SELECT (where untyped
// parameters would resolve to text).
function intentValues(row: IntentRow): Fragment {
  const identity = row.identity === null ? sql.fragment`NULL::jsonb` : jsonParam(row.identity, 'jsonb');
  return sql.fragment`${row.intentId}::text, ${row.kind}::text, ${row.objectKey}::text, ${row.backendName}::text,
    ${row.storageKey}::text, ${row.sizeBytes}::bigint, ${identity}, ${row.createdAt}::bigint, ${row.heartbeatAt}::bigint`;
}

export function intentWrites(db: Queries): IntentWrites {
  return {
    async insertIntent(row) {
      await db.query(sql.unsafe`
        INSERT INTO pending_objects (${INTENT_COLUMNS}) VALUES (${intentValues(row)})`);
    },

    // The claim's check and insert in one statement (a CTE's parts share its snapshot, taken
    // after the claim's lock). The in-flight sum cannot see the row being inserted: the
    // balance is the one before this intent, as hasRoom's was.
    async admitIntent(row, rule) {
      const draining = drainingOf(row.backendName);
      if (rule === 'not-draining') {
        const inserted = await db.maybeOne(sql.type(z.object({ one: z.number() }))`
          INSERT INTO pending_objects (${INTENT_COLUMNS})
          SELECT ${intentValues(row)} WHERE NOT ${draining}
          RETURNING 1 AS one`);
        return { admitted: inserted !== null, bytesLimit: 0 };
      }
      const decided = await db.maybeOne(sql.type(z.object({ bytes_limit: int8, admitted: z.boolean() }))`
        WITH b AS (
          SELECT q.bytes_limit, c.bytes_used, c.orphan_bytes, ${inflightOf(row.backendName)} AS inflight, ${draining} AS draining
            FROM backend_quotas q CROSS JOIN LATERAL ${chargedOf(row.backendName)} c
           WHERE q.backend_name = ${row.backendName}
        ), ins AS (
          INSERT INTO pending_objects (${INTENT_COLUMNS})
          SELECT ${intentValues(row)} FROM b
           WHERE NOT b.draining
             AND (b.bytes_limit = 0 OR b.bytes_limit - b.bytes_used - b.orphan_bytes - b.inflight >= ${row.sizeBytes}::bigint)
          RETURNING 1
        )
        SELECT b.bytes_limit, EXISTS (SELECT 1 FROM ins) AS admitted FROM b`);
      return decided ? { admitted: decided.admitted, bytesLimit: decided.bytes_limit } : { admitted: false, bytesLimit: null };
    },

    // A concurrent taker of the same intent waits for this one and then finds nothing.
    async takeIntent(intentId) {
      return db.maybeOne(sql.type(intentRow)`
        DELETE FROM pending_objects WHERE intent_id = ${intentId} RETURNING ${INTENT_COLUMNS}`);
    },

    // Row-locked like takeIntent; a heartbeat committed first makes the intent fresh, so nothing is taken.
    async takeStaleIntent(intentId, heartbeatBefore) {
      return db.maybeOne(sql.type(intentRow)`
        DELETE FROM pending_objects WHERE intent_id = ${intentId} AND heartbeat_at < ${heartbeatBefore}
        RETURNING ${INTENT_COLUMNS}`);
    },

    async touchIntents(intentIds, now) {
      await db.query(sql.unsafe`
        UPDATE pending_objects SET heartbeat_at = ${now} WHERE intent_id = ANY(${sql.array(intentIds, 'text')})`);
    },
  };
}
