// The TxAdapter statements of one connection, composed from the per-table-family files.
import type { ReadStatements, TxStatements } from '../tx-adapter.js';
import type { SqliteConnection } from './connection.js';
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

export function readStatements(c: SqliteConnection): ReadStatements {
  return {
    ...objectReads(c),
    ...placementReads(c),
    ...intentReads(c),
    ...quotaReads(c),
    ...statsReads(c),
    ...fleetReads(c),
    ...multipartReads(c),
    ...cleanupReads(c),
    ...eventReads(c),
    ...usageReads(c),
    ...reconcileReads(c),
    ...notificationReads(c),
    ...drainReads(c),
    ...identityReads(c),
  };
}

export function txStatements(c: SqliteConnection): TxStatements {
  return {
    ...readStatements(c),
    ...fleetWrites(c),
    ...objectWrites(c),
    ...placementWrites(c),
    ...intentWrites(c),
    ...quotaWrites(c),
    ...multipartWrites(c),
    ...cleanupWrites(c),
    ...eventWrites(c),
    ...usageWrites(c),
    ...notificationWrites(c),
    ...drainWrites(c),
    ...identityWrites(c),
  };
}

/**
 * A view of `statements` that refuses to run once `isOpen()` is false, so a statement object
 * kept past the end of its transaction cannot slip into the next one.
 */
export function scoped<T extends object>(statements: T, isOpen: () => boolean): T {
  const view: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(statements)) {
    view[name] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            if (!isOpen()) return Promise.reject(new Error(`statement ${name} used after its transaction ended`));
            return (value as (...a: unknown[]) => unknown)(...args);
          }
        : value;
  }
  return view as T;
}
