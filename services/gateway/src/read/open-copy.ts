// Reading an object's bytes: try each copy in turn; the first backend that answers with
// a body wins. Failover happens only before the first byte goes to the client. Copies on
// backends a gate refuses are skipped (a usage limit) or tried last (an open breaker).
import type { Readable } from 'node:stream';
import { S3Error } from '@s3o/s3';
import type { LocationRow } from '@s3o/store';
import type { RequestContext } from '../context.js';
import { refusedError } from '../write/rank.js';

/** The copies worth trying, best first; throws the gates' error when none is left. */
export function readOrder(ctx: RequestContext, locations: readonly LocationRow[]): LocationRow[] {
  const ok = locations.filter((loc) => loc.state === 'ok');
  const availability = ctx.deps.availability;
  if (!availability) return ok;
  const { usable, refusals } = availability.arrange(ok.map((l) => l.backendName), 'read', 0, true);
  if (usable.length === 0 && refusals.length > 0) throw refusedError(refusals);
  const byBackend = new Map(ok.map((l) => [l.backendName, l]));
  return usable.map((name) => byBackend.get(name)!);
}

/** Tries each copy in order; the first one that answers with a body wins. */
export async function openFirstCopy(ctx: RequestContext, locations: LocationRow[], backendRange?: string): Promise<Readable> {
  for (const loc of readOrder(ctx, locations)) {
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
