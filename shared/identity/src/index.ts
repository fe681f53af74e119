// @s3o/identity: users, credentials and grants as every process that authenticates sees them
// (docs/architecture.md §6 "Authorisation"): the in-memory registry, what keeps it current,
// and how stored secrets are sealed.
export { IdentityRegistry, CONFIG_USER_PREFIX, ROOT_USER, type IdentityConfig, type KeyHolder } from './registry.js';
export { IdentityRefresher, DEFAULT_REFRESH_INTERVAL_MS, type IdentityRefresherOptions, type RefresherLogger } from './refresher.js';
export { masterKeySealer, openSecrets, plainSealer, type SecretSealer, type WrappingKeys } from './sealer.js';
export type { AdminPermission, BucketPermission, Permission, ResourceKind } from '@s3o/store';
