// Where objects are, from the ledger:
//   GET object-locations?bucket=&key=   the object and every copy of it: backend, storage
//                                       key, state (ok / missing / corrupt), size, written at,
//                                       verified at (the scrubber's last good read, or null)
//   GET objects?bucket=&prefix=&delimiter=&after=&limit=   browse a virtual bucket: keys in
//                                       byte order with their size, ETag and copy count,
//                                       common prefixes, and where the next page starts
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../context.js';
import { walkKeys } from '../read/list-walk.js';
import { AdminError, intParam, sendJson } from './respond.js';
import { queryOf } from './query.js';

const iso = (ms: number) => new Date(ms).toISOString();

function bucketOf(deps: GatewayDeps, query: URLSearchParams): string {
  const bucket = query.get('bucket');
  if (!bucket) throw new AdminError(400, 'InvalidArgument', 'bucket is required');
  if (!deps.config.buckets.some((b) => b.name === bucket)) throw new AdminError(404, 'NoSuchBucket', `no virtual bucket is named ${JSON.stringify(bucket)}`);
  return bucket;
}

export function registerObjectRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/object-locations', async (request, reply) => {
    const query = queryOf(request);
    const bucket = bucketOf(deps, query);
    const key = query.get('key');
    if (!key) throw new AdminError(400, 'InvalidArgument', 'key is required');
    const found = await deps.ledger.getObject(`${bucket}/${key}`);
    if (!found) throw new AdminError(404, 'NoSuchKey', `${bucket}/${key} is not in the ledger`);
    const { object, locations } = found;
    const verified = await deps.ledger.copyVerifiedTimes(object.objectKey);
    return sendJson(reply, 200, {
      bucket,
      key,
      size: object.size,
      etag: object.etag,
      write_id: object.writeId,
      created_at: iso(object.createdAt),
      copies: locations.map((l) => ({
        backend: l.backendName,
        storage_key: l.storageKey,
        state: l.state,
        size: l.sizeBytes,
        written_at: iso(l.createdAt),
        verified_at: verified.get(l.backendName) == null ? null : iso(verified.get(l.backendName)!),
        current: l.writeId === object.writeId,
      })),
    });
  });

  app.get('/objects', async (request, reply) => {
    const query = queryOf(request);
    const bucket = bucketOf(deps, query);
    const limit = intParam(query, 'limit', 100, 1, 1000)!;
    const walk = await walkKeys(deps.ledger, {
      bucket, prefix: query.get('prefix') ?? '', delimiter: query.get('delimiter') ?? '', after: query.get('after') ?? '', maxKeys: limit,
    });
    const copies = await Promise.all(walk.contents.map(async (e) => (await deps.ledger.getObject(e.objectKey))?.locations ?? []));
    return sendJson(reply, 200, {
      bucket,
      prefix: query.get('prefix') ?? '',
      delimiter: query.get('delimiter') ?? '',
      objects: walk.contents.map((e, i) => ({
        key: e.key,
        size: e.size,
        etag: e.etag,
        created_at: iso(e.createdAt),
        copies: copies[i]!.filter((l) => l.state === 'ok').length,
        backends: copies[i]!.map((l) => l.backendName),
      })),
      common_prefixes: walk.commonPrefixes,
      truncated: walk.truncated,
      next_after: walk.truncated ? walk.last : null,
    });
  });
}
