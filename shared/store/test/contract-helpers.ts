// Helpers shared by the Ledger contract suites: a settable clock, identities, and the
// claim/commit/delete steps the way the gateway takes them.
import assert from 'node:assert/strict';
import {
  newId,
  type CommitResult, type DeleteOutcome, type Ledger, type NewEvent, type ObjectIdentity, type QuotaRow,
  type StoredEvent,
} from '../src/index.js';

export const SOURCE = 'contract-test/1';

/** A settable clock, so leases, heartbeats and event times are exact. */
export class FakeClock {
  constructor(public now = 1_700_000_000_000) {}
  readonly read = (): number => this.now;
}

export function identity(size: number, extra: Partial<ObjectIdentity> = {}): ObjectIdentity {
  return {
    size,
    etag: `etag${size}`,
    contentType: 'application/octet-stream',
    userMetadata: {},
    headers: {},
    ...extra,
  };
}

/** object.created the way the gateway builds it: from what the commit did. */
export function createdEvent(o: CommitResult): NewEvent[] {
  return [{
    type: 'object.created',
    resource: o.object.objectKey,
    data: {
      version: 1,
      size: o.object.size,
      copies: o.copies.map((c) => ({ backend: c.backendName, storage_key: c.storageKey })),
      displaced: o.displaced.map((c) => ({ backend: c.backendName, storage_key: c.storageKey })),
    },
  }];
}

export function removedEvent(o: DeleteOutcome): NewEvent[] {
  return [{
    type: 'object.removed',
    resource: o.object.objectKey,
    data: { version: 1, copies: o.removed.map((c) => ({ backend: c.backendName, storage_key: c.storageKey })) },
  }];
}

export interface Claimed {
  intentId: string;
  storageKey: string;
  backendName: string;
}

export async function claimWrite(ledger: Ledger, objectKey: string, size: number, candidates: string[]): Promise<Claimed | null> {
  const intentId = newId();
  return ledger.claim({
    intentId,
    kind: 'write',
    objectKey,
    storageKey: `${objectKey}!${intentId}`,
    sizeBytes: size,
    candidates,
    identity: identity(size),
  });
}

/** claim + commit, as a PUT does. */
export async function put(ledger: Ledger, objectKey: string, size: number, candidates: string[]): Promise<CommitResult> {
  const claim = await claimWrite(ledger, objectKey, size, candidates);
  assert.ok(claim, `no room for ${objectKey} (${size} bytes) on ${candidates.join(',')}`);
  return ledger.commitWrite({ intentId: claim.intentId, identity: identity(size), events: createdEvent });
}

export async function quota(ledger: Ledger, backend: string): Promise<Omit<QuotaRow, 'backendName'>> {
  const row = (await ledger.getQuotas()).find((q) => q.backendName === backend);
  assert.ok(row, `no quota row for ${backend}`);
  const { backendName: _, ...numbers } = row;
  return numbers;
}

export async function allEvents(ledger: Ledger): Promise<StoredEvent[]> {
  return ledger.readEventsAfter(0, 10_000);
}

export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Runs a test body against a fresh ledger and its clock, always cleaning up. */
export type WithLedger = (fn: (ledger: Ledger, clock: FakeClock) => Promise<void>) => Promise<void>;
