// The TxAdapter statements over one connection, composed from the per-table-family files.
import type { ReadStatements, TxStatements } from '../tx-adapter.js';
import type { Queries } from './queries.js';
import { cleanupReads, cleanupWrites } from './sql/cleanup.js';
import { eventReads, eventWrites } from './sql/events.js';
import { intentReads, intentWrites } from './sql/intents.js';
import { multipartReads, multipartWrites } from './sql/multipart.js';
import { notificationReads, notificationWrites } from './sql/notifications.js';
import { objectReads, objectWrites } from './sql/objects.js';
import { placementReads, placementWrites } from './sql/placement.js';
import { quotaReads, quotaWrites } from './sql/quotas.js';
import { statsReads } from './sql/stats.js';
import { fleetReads, fleetWrites } from './sql/fleet.js';
import { usageReads, usageWrites } from './sql/usage.js';
import { reconcileReads } from './sql/reconcile.js';
import { drainReads, drainWrites } from './sql/drains.js';
import { identityReads, identityWrites } from './sql/identity.js';

export function readStatements(db: Queries): ReadStatements {
  return {
    ...objectReads(db),
    ...placementReads(db),
    ...intentReads(db),
    ...quotaReads(db),
    ...statsReads(db),
    ...fleetReads(db),
    ...multipartReads(db),
    ...cleanupReads(db),
    ...eventReads(db),
    ...usageReads(db),
    ...reconcileReads(db),
    ...notificationReads(db),
    ...drainReads(db),
    ...identityReads(db),
  };
}

export function txStatements(db: Queries): TxStatements {
  return {
    ...readStatements(db),
    ...fleetWrites(db),
    ...objectWrites(db),
    ...placementWrites(db),
    ...intentWrites(db),
    ...quotaWrites(db),
    ...multipartWrites(db),
    ...cleanupWrites(db),
    ...eventWrites(db),
    ...usageWrites(db),
    ...notificationWrites(db),
    ...drainWrites(db),
    ...identityWrites(db),
  };
}
