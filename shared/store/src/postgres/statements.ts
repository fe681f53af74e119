// The TxAdapter statements over one connection, composed from the per-table-family files.
import type { ReadStatements, TxStatements } from '../tx-adapter.js';
import type { Queries } from './queries.js';
import { cleanupReads, cleanupWrites } from './sql/cleanup.js';
import { eventReads, eventWrites } from './sql/events.js';
import { intentReads, intentWrites } from './sql/intents.js';
import { multipartReads, multipartWrites } from './sql/multipart.js';
import { objectReads, objectWrites } from './sql/objects.js';
import { quotaReads, quotaWrites } from './sql/quotas.js';

export function readStatements(db: Queries): ReadStatements {
  return {
    ...objectReads(db),
    ...intentReads(db),
    ...quotaReads(db),
    ...multipartReads(db),
    ...cleanupReads(db),
    ...eventReads(db),
  };
}

export function txStatements(db: Queries): TxStatements {
  return {
    ...readStatements(db),
    ...objectWrites(db),
    ...intentWrites(db),
    ...quotaWrites(db),
    ...multipartWrites(db),
    ...cleanupWrites(db),
    ...eventWrites(db),
  };
}
