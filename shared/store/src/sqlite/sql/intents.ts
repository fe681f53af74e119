// pending_objects: intents of writes, replicas and moves whose bytes are not committed yet.
import type { ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { IntentKind, IntentRow, ObjectIdentity } from '../../types.js';
import { int, type SqliteConnection } from '../connection.js';
import { listHoldings, type HoldingTable } from './holding-pages.js';
import { DRAINING_OF, INFLIGHT_OF } from './quotas.js';

interface RawIntent {
  intent_id: string;
  kind: IntentKind;
  object_key: string;
  backend_name: string;
  storage_key: string;
  size_bytes: bigint;
  identity: string | null;
  created_at: bigint;
  heartbeat_at: bigint;
}

function intentFromRow(r: RawIntent): IntentRow {
  return {
    intentId: r.intent_id,
    kind: r.kind,
    objectKey: r.object_key,
    backendName: r.backend_name,
    storageKey: r.storage_key,
    sizeBytes: int(r.size_bytes),
    identity: r.identity === null ? null : (JSON.parse(r.identity) as ObjectIdentity),
    createdAt: int(r.created_at),
    heartbeatAt: int(r.heartbeat_at),
  };
}

const INTENT_HOLDINGS: HoldingTable = {
  kind: 'intent', table: 'pending_objects', rowColumn: 'intent_id', numericRow: false, objectKey: 't.object_key', size: 't.size_bytes',
};

type IntentReads = Pick<ReadStatements, 'selectIntent' | 'listStaleIntents' | 'listIntentHoldings'>;

export function intentReads(c: SqliteConnection): IntentReads {
  return {
    async selectIntent(intentId) {
      const r = c.get<RawIntent>(`SELECT * FROM pending_objects WHERE intent_id = @intentId`, { intentId });
      return r ? intentFromRow(r) : null;
    },

    async listStaleIntents(heartbeatBefore, after, limit) {
      const resume = after === null
        ? ''
        : 'AND (heartbeat_at > @afterHeartbeat OR (heartbeat_at = @afterHeartbeat AND intent_id > @afterId))';
      return c
        .all<RawIntent>(
          `SELECT * FROM pending_objects WHERE heartbeat_at < @heartbeatBefore ${resume}
            ORDER BY heartbeat_at, intent_id LIMIT @limit`,
          { heartbeatBefore, afterHeartbeat: after?.heartbeatAt ?? null, afterId: after?.intentId ?? null, limit },
        )
        .map(intentFromRow);
    },

    async listIntentHoldings(backendName, page) {
      return listHoldings(c, INTENT_HOLDINGS, backendName, page);
    },
  };
}

type IntentWrites = Pick<TxStatements, 'insertIntent' | 'admitIntent' | 'takeIntent' | 'touchIntents' | 'takeStaleIntent'>;

const INSERT_INTENT_COLUMNS = `INSERT INTO pending_objects
  (intent_id, kind, object_key, backend_name, storage_key, size_bytes, identity, created_at, heartbeat_at)`;
const INTENT_VALUES = `@intentId, @kind, @objectKey, @backendName, @storageKey, @sizeBytes, @identity, @createdAt, @heartbeatAt`;
const DRAINING = DRAINING_OF('@backendName');
// The claim rule as Postgres states it (postgres/sql/intents.ts): no limit is always room.
const ROOM = `(q.bytes_limit = 0 OR q.bytes_limit - q.bytes_used - q.orphan_bytes - ${INFLIGHT_OF('@backendName')} >= @sizeBytes)`;
const intentParams = (row: IntentRow) => ({ ...row, identity: row.identity === null ? null : JSON.stringify(row.identity) });

export function intentWrites(c: SqliteConnection): IntentWrites {
  return {
    async insertIntent(row) {
      c.run(`${INSERT_INTENT_COLUMNS} VALUES (${INTENT_VALUES})`, intentParams(row));
    },

    // The single writer holds the database for the whole transaction, so the limit may be
    // read by a statement of its own; the check and the insert are one, as on Postgres.
    async admitIntent(row, rule) {
      if (rule === 'not-draining') {
        const inserted = c.run(`${INSERT_INTENT_COLUMNS} SELECT ${INTENT_VALUES} WHERE NOT ${DRAINING}`, intentParams(row));
        return { admitted: inserted === 1, bytesLimit: 0 };
      }
      const quota = c.get<{ bytes_limit: bigint }>(`SELECT bytes_limit FROM backend_quotas WHERE backend_name = @backendName`, {
        backendName: row.backendName,
      });
      if (!quota) return { admitted: false, bytesLimit: null };
      const inserted = c.run(
        `${INSERT_INTENT_COLUMNS} SELECT ${INTENT_VALUES} FROM backend_quotas q
          WHERE q.backend_name = @backendName AND NOT ${DRAINING} AND ${ROOM}`,
        intentParams(row),
      );
      return { admitted: inserted === 1, bytesLimit: int(quota.bytes_limit) };
    },

    async takeIntent(intentId) {
      const r = c.get<RawIntent>(`DELETE FROM pending_objects WHERE intent_id = @intentId RETURNING *`, { intentId });
      return r ? intentFromRow(r) : null;
    },

    async takeStaleIntent(intentId, heartbeatBefore) {
      const r = c.get<RawIntent>(
        `DELETE FROM pending_objects WHERE intent_id = @intentId AND heartbeat_at < @heartbeatBefore RETURNING *`,
        { intentId, heartbeatBefore },
      );
      return r ? intentFromRow(r) : null;
    },

    // One statement for any number of ids: the list travels as one JSON array parameter.
    async touchIntents(intentIds, now) {
      c.run(
        `UPDATE pending_objects SET heartbeat_at = @now WHERE intent_id IN (SELECT value FROM json_each(@ids))`,
        { now, ids: JSON.stringify(intentIds) },
      );
    },
  };
}
