// Reading an object's bytes: try each copy in turn; the first backend that answers with
// a body wins. Failover happens only before the first byte goes to the client. Copies on
// backends a gate refuses are skipped (a usage limit — asked with the bytes the read will
// fetch, so a read that would pass an egress limit goes elsewhere) or tried last (an open
// breaker).
// A backend that says it has no such key for a copy the ledger lists has lost it: the copy
// is marked missing (it stops being read and counted; placement makes a new one) — other
// errors say nothing about the copy, so they only move on to the next. A copy whose bytes fail
// their check is marked corrupt (read/corrupt-copy.ts).
import type { Readable } from 'node:stream';
import { BackendError, type GetObjectResult } from '@s3o/backends';
import { S3Error } from '@s3o/s3';
import type { LocationRow, ObjectRow } from '@s3o/store';
import type { RequestContext } from '../context.js';
import { refusedError } from '../write/rank.js';
import { reportCorruptCopy } from './corrupt-copy.js';
import type { StoredRead } from './stored-form.js';

/** The copies worth trying for a read of `bytes`, best first; throws the gates' error when none is left. */
export function readOrder(ctx: RequestContext, locations: readonly LocationRow[], bytes: number): LocationRow[] {
  const ok = locations.filter((loc) => loc.state === 'ok');
  const availability = ctx.deps.availability;
  if (!availability) return ok;
  const { usable, refusals } = availability.arrange(ok.map((l) => l.backendName), 'read', bytes, true);
  if (usable.length === 0 && refusals.length > 0) throw refusedError(refusals);
  const byBackend = new Map(ok.map((l) => [l.backendName, l]));
  return usable.map((name) => byBackend.get(name)!);
}

/**
 * Tries each copy in order for `stored` (a range's bytes, or the whole object's); the first
 * copy whose bytes start coming through their check wins. A copy that answers with the wrong
 * length, or fails its check (SHA-256 of a body held whole, the first chunk's GCM tag) before
 * its first byte would go out, is marked corrupt and the next is tried; one that fails later
 * breaks the client's transfer (never wrong bytes) and is marked corrupt for the next read.
 */
export async function openFirstCopy(ctx: RequestContext, object: ObjectRow, locations: LocationRow[], stored: StoredRead): Promise<Readable> {
  for (const loc of readOrder(ctx, locations, stored.backendBytes)) {
    const client = ctx.deps.backends.get(loc.backendName);
    if (!client) continue;
    let res: GetObjectResult;
    try {
      res = await client.getObject(loc.storageKey, { range: stored.backendRange });
    } catch (err) {
      if (isNoSuchKey(err)) markMissing(ctx, loc);
      else ctx.deps.logger.warn({ err, backend: loc.backendName, storageKey: loc.storageKey, requestId: ctx.requestId }, 'copy read failed, trying the next');
      continue;
    }
    if (res.status !== 200 && res.status !== 206) {
      res.body.destroy();
      ctx.deps.logger.warn({ backend: loc.backendName, storageKey: loc.storageKey, status: res.status, requestId: ctx.requestId }, 'copy unreadable, trying the next');
      continue;
    }
    if (res.headers.contentLength !== undefined && res.headers.contentLength !== stored.backendBytes) {
      res.body.destroy();
      reportCorruptCopy(ctx, object, loc, 'length', new Error(`the backend answers with ${res.headers.contentLength} bytes, ${stored.backendBytes} were expected`));
      continue;
    }
    let corrupt = false;
    const body = stored.toClient(res.body, (reason, err) => {
      corrupt = true;
      reportCorruptCopy(ctx, object, loc, reason, err);
    });
    if (await firstBytesPassed(body)) return body;
    if (!corrupt) ctx.deps.logger.warn({ backend: loc.backendName, storageKey: loc.storageKey, requestId: ctx.requestId }, 'copy broke before its first byte, trying the next');
  }
  throw new S3Error('ServiceUnavailable', { message: 'No copy of the object could be read; please retry.' });
}

/**
 * Waits until `body` has bytes ready (they passed their check) or has ended, without taking
 * them: true; false when it failed first. The stream is left paused for the caller to send
 * (it must have no 'data' listener: that would make it flow and lose the bytes).
 */
function firstBytesPassed(body: Readable): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (passed: boolean) => {
      body.off('readable', onReadable);
      body.off('error', onError);
      resolve(passed);
    };
    const onReadable = () => settle(true);
    const onError = () => settle(false);
    body.on('readable', onReadable);
    body.on('error', onError);
  });
}

/**
 * The backend answered that the key does not exist (not a failure of the backend). A 404
 * naming another code (NoSuchBucket: a misconfigured backend) says nothing about the copy.
 */
function isNoSuchKey(err: unknown): boolean {
  return err instanceof BackendError && (err.code === 'NoSuchKey' || (err.status === 404 && err.code === 'NotFound'));
}

/** Fire-and-forget: the read goes on with the next copy while the ledger records the loss. */
function markMissing(ctx: RequestContext, loc: LocationRow): void {
  const log = { backend: loc.backendName, storageKey: loc.storageKey, key: loc.objectKey, requestId: ctx.requestId };
  ctx.deps.ledger.markCopyMissing(loc.objectKey, loc.backendName, loc.storageKey).then(
    (marked) => ctx.deps.logger.warn({ ...log, marked }, 'copy not found on its backend; marked missing, trying the next'),
    (err: unknown) => ctx.deps.logger.warn({ ...log, err }, 'copy not found on its backend; marking it missing failed, trying the next'),
  );
}
