// The cleanup queue and its dead letters, for operators:
//   GET  cleanup-queue[?limit=N&after=ID]   debts waiting to be deleted (or retried), by id
//   GET  cleanup-dlq[?limit=N&after=ID]     debts the cleanup service gave up on, by id
//   POST cleanup-dlq/requeue                body empty or `{}`: every dead letter; `{"ids":[…]}`: those
//   POST cleanup-dlq/discard                `{"ids":[…]}`: forget those dead letters (no "all")
// Requeued debts go back under their ids with attempts 0, due at once, and wake the workers.
// Discarded ones are debts the operator settled outside the orchestrator (e.g. an upload
// aborted with the provider's tools on a backend that cannot abort): their bytes stop
// counting against the backend's quota. Only named ids: forgetting bytes is never a default.
import type { FastifyInstance } from 'fastify';
import type { CleanupRow, DeadLetterRow } from '@s3o/store';
import type { GatewayDeps } from '../context.js';
import type { AdminAuth } from './auth.js';
import { AdminError, intParam, sendJson } from './respond.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const iso = (ms: number) => new Date(ms).toISOString();

function debtJson(row: Omit<CleanupRow, 'nextRetry' | 'inDoubt'>) {
  return {
    id: row.id,
    kind: row.kind,
    backend: row.backendName,
    storage_key: row.storageKey,
    backend_upload_id: row.backendUploadId,
    object_key: row.objectKey,
    reason: row.reason,
    size_bytes: row.sizeBytes,
    attempts: row.attempts,
    last_error: row.lastError,
    created_at: iso(row.createdAt),
  };
}

const queuedJson = (row: CleanupRow) => ({ ...debtJson(row), next_retry: iso(row.nextRetry) });
const deadJson = (row: DeadLetterRow) => ({ ...debtJson(row), moved_at: iso(row.movedAt) });

function pageParams(url: string): { after: number | null; limit: number } {
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  return {
    after: intParam(query, 'after', null, 0, Number.MAX_SAFE_INTEGER),
    limit: intParam(query, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT)!,
  };
}

/** `{"ids":[1,2]}` → those ids; an empty body or `{}` → null (every dead letter). */
export function parseRequeueBody(body: Buffer): number[] | null {
  if (body.length === 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AdminError(400, 'MalformedJSON', 'The body is not JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AdminError(400, 'InvalidArgument', 'The body must be a JSON object: {} or {"ids": [...]}.');
  }
  const ids = (parsed as { ids?: unknown }).ids;
  if (ids === undefined) return null;
  if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && (id as number) > 0)) {
    throw new AdminError(400, 'InvalidArgument', 'ids must be a list of dead-letter ids (positive whole numbers).');
  }
  return ids as number[];
}

/** `{"ids":[1,2]}` → those ids; anything else is refused (a discard always names its dead letters). */
export function parseDiscardBody(body: Buffer): number[] {
  const ids = body.length === 0 ? null : parseRequeueBody(body);
  if (ids === null || ids.length === 0) {
    throw new AdminError(400, 'InvalidArgument', 'Name the dead letters to discard: {"ids": [...]}.');
  }
  return ids;
}

export function registerCleanupQueueRoutes(app: FastifyInstance, deps: GatewayDeps, auth: AdminAuth): void {
  const { ledger } = deps;

  app.get('/cleanup-queue', async (request, reply) => {
    const { after, limit } = pageParams(request.raw.url ?? '');
    const rows = await ledger.listCleanup(after, limit);
    return sendJson(reply, 200, {
      depth: await ledger.cleanupDepth(),
      items: rows.map(queuedJson),
      next_after: rows.length === limit ? rows.at(-1)!.id : null,
    });
  });

  app.get('/cleanup-dlq', async (request, reply) => {
    const { after, limit } = pageParams(request.raw.url ?? '');
    const rows = await ledger.listDeadLetters(after, limit);
    return sendJson(reply, 200, {
      depth: await ledger.deadLetterDepth(),
      items: rows.map(deadJson),
      next_after: rows.length === limit ? rows.at(-1)!.id : null,
    });
  });

  app.post('/cleanup-dlq/requeue', async (request, reply) => {
    const ids = parseRequeueBody(await auth.body(request));
    const requeued = await ledger.requeueDeadLetters(ids);
    deps.logger.info({ requeued, ids: ids ?? 'all', requestId: request.id }, 'dead letters requeued');
    return sendJson(reply, 200, { requeued });
  });

  app.post('/cleanup-dlq/discard', async (request, reply) => {
    const ids = parseDiscardBody(await auth.body(request));
    const discarded = await ledger.discardDeadLetters(ids);
    deps.logger.warn({ discarded, ids, requestId: request.id }, 'dead letters discarded by an operator; their bytes no longer count as owed');
    return sendJson(reply, 200, { discarded });
  });
}
