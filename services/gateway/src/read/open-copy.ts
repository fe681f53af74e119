// Reading an object's bytes: try each copy in turn; the first backend that answers with
// a body wins. Failover happens only before the first byte goes to the client.
import type { Readable } from 'node:stream';
import { S3Error } from '@s3o/s3';
import type { LocationRow } from '@s3o/store';
import type { RequestContext } from '../context.js';

/** Tries each copy in order; the first one that answers with a body wins. */
export async function openFirstCopy(ctx: RequestContext, locations: LocationRow[], backendRange?: string): Promise<Readable> {
  for (const loc of locations) {
    if (loc.state !== 'ok') continue;
    const client = ctx.deps.backends.get(loc.backendName);
    if (!client) continue;
    try {
      const res = await client.getObject(loc.storageKey, { range: backendRange });
      if (res.status === 200 || res.status === 206) return res.body;
      res.body.destroy();
      ctx.deps.logger.warn({ backend: loc.backendName, storageKey: loc.storageKey, status: res.status, requestId: ctx.requestId }, 'copy unreadable, trying the next');
    } catch (err) {
      ctx.deps.logger.warn({ err, backend: loc.backendName, storageKey: loc.storageKey, requestId: ctx.requestId }, 'copy read failed, trying the next');
    }
  }
  throw new S3Error('ServiceUnavailable', { message: 'No copy of the object could be read; please retry.' });
}
