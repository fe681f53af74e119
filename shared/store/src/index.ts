// @s3o/store: the ledger (DESIGN §4). Services call the Ledger; engines implement TxAdapter.
export type * from './types.js';
export type * from './ledger.js';
export type * from './tx-adapter.js';
export {
  LedgerError, PreconditionFailedError, NoSuchUploadError, InvalidPartError, InvalidPartOrderError,
  NoSuchIntentError, SchemaTooNewError,
} from './errors.js';
export { createLedger, sequencerOf, type LedgerOptions } from './core.js';
export { openLedger, type OpenLedgerOptions, type PostgresLedgerOptions, type SqliteLedgerOptions } from './open.js';
export type { SslMode } from './postgres/connection-settings.js';
export { newId, idTime } from './ids.js';
