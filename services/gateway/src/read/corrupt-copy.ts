// A copy whose bytes failed their check on a read (docs/architecture.md, "Integrity"): counted,
// written to the audit log naming bucket, key, backend and storage key, and marked corrupt in
// the ledger — which announces `integrity.corruption_detected` in the same transaction, so
// replication rebuilds the copy from a good one. Marking is fire-and-forget: the read goes on
// with the next copy (or its broken transfer ends) while the ledger records it.
import { splitInternalKey } from '@s3o/events';
import type { LocationRow, ObjectRow } from '@s3o/store';
import { auditLog, counter } from '@s3o/telemetry';
import type { RequestContext } from '../context.js';
import type { CorruptionReason } from './stored-form.js';

const corruptCopies = counter({
  name: 's3o_integrity_corrupt_copies_total',
  help: 'Copies whose bytes failed their check (reason: sha256 | authentication | length), by backend and by what found them (read | scrub)',
  labelNames: ['backend', 'reason', 'detected_by'] as const,
});

export function reportCorruptCopy(ctx: RequestContext, object: ObjectRow, loc: LocationRow, reason: CorruptionReason, err: Error): void {
  corruptCopies.inc({ backend: loc.backendName, reason, detected_by: 'read' });
  const fields = {
    ...splitInternalKey(object.objectKey), backend: loc.backendName, storageKey: loc.storageKey, reason, detectedBy: 'read', requestId: ctx.requestId,
  };
  auditLog(ctx.deps.logger, 'integrity.corruption_detected', { ...fields, error: err.message });
  ctx.deps.ledger
    .markCopyCorrupt({ objectKey: object.objectKey, backendName: loc.backendName, storageKey: loc.storageKey, writeId: object.writeId, reason, detectedBy: 'read' })
    .then(
      (marked) => ctx.deps.logger.error({ ...fields, err, marked }, 'copy failed its integrity check; marked corrupt'),
      (failure: unknown) => ctx.deps.logger.error({ ...fields, err: failure }, 'copy failed its integrity check; marking it corrupt failed'),
    );
}
