// Draining and removing backends, for operators:
//   POST   backends/{name}/drain   start a drain: from now on no instance claims, replicates or
//                                  opens uploads there; the placement service moves its copies
//                                  away (404 unknown backend, 409 already draining)
//   GET    backends/{name}/drain   the latest drain: state, counters, last error, times, and
//                                  what the backend still holds
//   DELETE backends/{name}/drain   cancel the drain in progress, or return a drained backend to service
//                                  (state cancelled; what moved stays moved)
//   DELETE backends/{name}         forget a backend that holds nothing (409 while it holds
//                                  anything); `?purge=true` drops its records anyway, after a
//                                  confirmation: the first call answers 409 ConfirmationRequired
//                                  with a token and what would be lost, the second call with
//                                  `&confirm=<token>` does it. Objects with no copy elsewhere
//                                  are removed from the ledger, listed in the answer and
//                                  announced as object.lost — never dropped silently.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { backendDrainEvent, EventType, objectLost } from '@s3o/events';
import type { BackendPurge, BackendRecordCounts, DrainRow } from '@s3o/store';
import type { GatewayDeps } from '../context.js';
import { AdminError, sendJson } from './respond.js';

/** How long a purge confirmation token is good for. */
const CONFIRM_TTL_MS = 5 * 60_000;
/** Objects named in a purge preview; the count is always complete. */
const LOST_SAMPLE = 100;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function drainJson(drain: DrainRow, holds: BackendRecordCounts) {
  return {
    backend: drain.backendName,
    state: drain.state,
    objects_total: drain.objectsTotal,
    objects_moved: drain.objectsMoved,
    bytes_moved: drain.bytesMoved,
    last_error: drain.lastError,
    started_at: iso(drain.startedAt),
    updated_at: iso(drain.updatedAt),
    finished_at: iso(drain.finishedAt),
    remaining: holdsJson(holds),
  };
}

function holdsJson(holds: BackendRecordCounts) {
  return { copies: holds.copies, bytes: holds.copyBytes, intents: holds.intents, open_uploads: holds.uploads, debts: holds.debts };
}

function queryOf(request: FastifyRequest): URLSearchParams {
  const url = request.raw.url ?? '';
  return new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
}

export function registerBackendRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const { ledger, config } = deps;
  const configured = new Set(config.backends.map((b) => b.name));

  const configuredBackend = (request: FastifyRequest): string => {
    const name = (request.params as { name: string }).name;
    if (!configured.has(name)) throw new AdminError(404, 'NoSuchBackend', `no backend is named ${JSON.stringify(name)}`);
    return name;
  };

  app.post('/backends/:name/drain', async (request, reply) => {
    const backend = configuredBackend(request);
    const drain = await ledger.drains.startDrain(backend, (d) => [backendDrainEvent(EventType.BackendDrainStarted, d)]);
    if (!drain) throw new AdminError(409, 'DrainInProgress', `backend ${backend} is already draining`);
    deps.logger.info({ backend, objects: drain.objectsTotal, requestId: request.id }, 'drain started');
    return sendJson(reply, 202, drainJson(drain, await ledger.drains.countBackendRecords(backend)));
  });

  app.get('/backends/:name/drain', async (request, reply) => {
    const backend = configuredBackend(request);
    // What remains is read before the drain's counters: a move commits both at once, so the
    // counters then include every move the remaining count already shows as gone.
    const remaining = await ledger.drains.countBackendRecords(backend);
    const drain = await ledger.drains.getDrain(backend);
    if (!drain) throw new AdminError(404, 'NoSuchDrain', `backend ${backend} has never been drained`);
    return sendJson(reply, 200, drainJson(drain, remaining));
  });

  app.delete('/backends/:name/drain', async (request, reply) => {
    const backend = configuredBackend(request);
    const current = await ledger.drains.getDrain(backend);
    // A drained backend keeps refusing new data until the operator returns it to service here
    // (or removes it): otherwise writes would refill a backend that is about to be retired.
    if (!current || (current.state !== 'draining' && current.state !== 'drained')) {
      throw new AdminError(409, 'NoDrainInProgress', `backend ${backend} is neither draining nor drained`);
    }
    const drain = await ledger.drains.finishDrain(current.id, 'cancelled', null, (d) => [backendDrainEvent(EventType.BackendDrainCancelled, d)]);
    if (!drain) throw new AdminError(409, 'NoDrainInProgress', `the drain of backend ${backend} has just ended`);
    deps.logger.info({ backend, moved: drain.objectsMoved, requestId: request.id }, 'drain cancelled');
    return sendJson(reply, 200, drainJson(drain, await ledger.drains.countBackendRecords(backend)));
  });

  app.delete('/backends/:name', async (request, reply) => {
    const backend = (request.params as { name: string }).name;
    const known = configured.has(backend) || (await ledger.getQuotas()).some((q) => q.backendName === backend);
    if (!known) throw new AdminError(404, 'NoSuchBackend', `no backend is named ${JSON.stringify(backend)}`);
    const query = queryOf(request);
    const purge = query.get('purge') === 'true';
    if (!purge) {
      if (await ledger.drains.removeBackend(backend)) {
        deps.logger.info({ backend, requestId: request.id }, 'backend removed from the ledger');
        return sendJson(reply, 200, { backend, removed: true });
      }
      const holds = await ledger.drains.countBackendRecords(backend);
      return sendJson(reply, 409, {
        error: { code: 'BackendNotEmpty', message: `backend ${backend} still holds records; drain it first, or purge them (purge=true)` },
        holds: holdsJson(holds),
        request_id: request.id,
      });
    }

    const secret = deps.config.auth.root!.secretAccessKey;
    const preview = await ledger.drains.previewPurge(backend);
    const confirm = query.get('confirm');
    if (confirm === null || !confirmationHolds(secret, backend, preview, confirm)) {
      const expiresAt = Date.now() + CONFIRM_TTL_MS;
      return sendJson(reply, 409, {
        error: {
          code: 'ConfirmationRequired',
          message: confirm === null
            ? `purging drops every record of backend ${backend}; repeat the request with confirm=<token> to do it`
            : 'the confirmation token is invalid, expired, or what would be lost has changed; here is a new one',
        },
        confirm: confirmationToken(secret, backend, preview, expiresAt),
        expires_at: iso(expiresAt),
        copies: preview.copies,
        objects_without_other_copy: preview.lost.length,
        lost_sample: preview.lost.slice(0, LOST_SAMPLE).map((o) => o.objectKey),
        request_id: request.id,
      });
    }
    const done = await ledger.drains.purgeBackend(backend, (object, copies) => [objectLost(object, copies)]);
    deps.logger.warn({ backend, copies: done.copies, lost: done.lost.length, requestId: request.id }, 'backend purged from the ledger');
    return sendJson(reply, 200, {
      backend,
      removed: true,
      copies_dropped: done.copies,
      lost: done.lost.map((o) => ({ object_key: o.objectKey, size: o.size, etag: o.etag })),
    });
  });
}

/**
 * A token that names the backend, what purging it would lose and an expiry, signed with the
 * root secret: any gateway can check it, and it stops matching when more would be lost.
 */
function confirmationToken(secret: string, backend: string, preview: BackendPurge, expiresAt: number): string {
  return `${expiresAt}.${sign(secret, backend, preview, expiresAt)}`;
}

function confirmationHolds(secret: string, backend: string, preview: BackendPurge, token: string): boolean {
  const match = /^(\d{1,16})\.([0-9a-f]{64})$/.exec(token);
  if (!match) return false;
  const expiresAt = Number(match[1]);
  if (expiresAt < Date.now()) return false;
  const expected = Buffer.from(sign(secret, backend, preview, expiresAt), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

function sign(secret: string, backend: string, preview: BackendPurge, expiresAt: number): string {
  return createHmac('sha256', secret).update(`purge\n${backend}\n${preview.lost.length}\n${expiresAt}`).digest('hex');
}
