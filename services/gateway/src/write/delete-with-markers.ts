// Client deletes (DeleteObject, DeleteObjects) go through @s3o/store deleteWithMarkers, so a
// ledger rebuild cannot bring a deleted object back (docs/architecture.md §4 "Deletes do not
// come back"); this gives it the gateway's backends, in availability order.
import type { CommitEvents, DeleteOutcome, DeleteResult } from '@s3o/store';
import { deleteWithMarkers as deleteMarked } from '@s3o/store';
import type { GatewayDeps } from '../context.js';

export function deleteWithMarkers(
  deps: Pick<GatewayDeps, 'ledger' | 'logger' | 'backends' | 'availability' | 'config'>, objectKey: string, events: CommitEvents<DeleteOutcome>,
): Promise<DeleteResult> {
  const { availability } = deps;
  return deleteMarked({
    ledger: deps.ledger,
    backends: deps.backends,
    // Backends a gate keeps from writes (breaker open, a usage limit, a drain) still take a marker, last.
    arrange: availability ? (names) => availability.usableFirst(names, 'write') : undefined,
    backendTimeoutMs: deps.config.server.backendTimeoutMs,
    logger: deps.logger,
  }, objectKey, events);
}
