// @s3o/store: the ledger (docs/architecture.md, "The ledger"). Services call the Ledger's
// roles; engines implement TxAdapter; core/ holds the rules between the two.
export type * from './types.js';
export type * from './ledger.js';
export type * from './tx-adapter.js';
export type * from './placement-types.js';
export type * from './reconcile-types.js';
export type * from './notifications.js';
export type * from './usage.js';
export type * from './drain-types.js';
export type * from './identity-types.js';
export { ADMIN_PERMISSIONS, BUCKET_PERMISSIONS, RESOURCE_KINDS } from './identity-types.js';
export { checkPermissions } from './core/identity.js';
export type * from './fleet.js';
export type * from './encryption-statements.js';
export {
  LedgerError, PreconditionFailedError, ConditionalConflictError, NoSuchUploadError, InvalidPartError, InvalidPartOrderError,
  NoSuchIntentError, SchemaTooNewError, IdentityError, TooManyUploadsError,
} from './errors.js';
export { createLedger, sequencerOf, type LedgerOptions } from './core/index.js';
export { openLedger, type OpenLedgerOptions, type PostgresLedgerOptions, type SqliteLedgerOptions } from './open.js';
export type { SslMode } from './postgres/connection-settings.js';
export { newId, idTime } from './ids.js';
export { storedSizeOf } from './stored-size.js';
export { compositeSha256 } from './part-hashes.js';
export { storageKeyFor, storagePathOf, keyOfStoragePath, storageKeyForInternal, splitInternalKey } from './storage-key.js';
export { backupSqliteLedger, restoreSqliteLedger, LedgerInUseError, type SqliteBackupResult } from './sqlite/backup.js';
export { deleteWithMarkers, MARKER_TIMEOUT_CAP_MS, type MarkerBackend, type MarkerDeps } from './delete-with-markers.js';
export { DELETED_REASON, markerBackendOf, deleteMarkerKey, markedBy, isDeleteMarker, storageKeyHash } from './delete-marker.js';
export { encodeStoredTags, decodeStoredTags } from './object-tags.js';
