// Objects with no copy left, for operators (reconcile and read failover mark copies missing;
// replication repairs them from another copy — these have none to repair from):
//   GET lost-objects[?limit=N&after=KEY]   by internal key; `next_after` resumes the listing
// The objects stay in the ledger (HEAD and LIST still show them, GET fails) until an operator
// restores the bytes or deletes the object: nothing is dropped silently.
import type { FastifyInstance } from 'fastify';
import type { LostObject } from '@s3o/store';
import type { GatewayDeps } from '../context.js';
import { intParam, sendJson } from './respond.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

function lostJson(o: LostObject) {
  const slash = o.objectKey.indexOf('/');
  return {
    bucket: o.objectKey.slice(0, slash),
    key: o.objectKey.slice(slash + 1),
    size: o.size,
    etag: o.etag,
    created_at: new Date(o.createdAt).toISOString(),
    missing_copies: o.copies.map((c) => ({ backend: c.backendName, storage_key: c.storageKey })),
  };
}

export function registerLostObjectRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/lost-objects', async (request, reply) => {
    const url = request.raw.url ?? '';
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const limit = intParam(query, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT)!;
    const after = query.get('after') || null;
    const objects = await deps.ledger.listLostObjects(after, limit);
    return sendJson(reply, 200, {
      count: await deps.ledger.countLostObjects(),
      items: objects.map(lostJson),
      next_after: objects.length === limit ? objects.at(-1)!.objectKey : null,
    });
  });
}
