export { createGatewayApp, type Gateway } from './server.js';
export { reloadTlsOnSighup } from './http/tls-reload.js';
export type { GatewayDeps } from './context.js';
export type { VerifyReport, BackendVerification } from './admin/verify.js';
export { adminOpenApi } from './admin/openapi.js';
export { ADMIN_ROUTES, TRIGGERS, type AdminRouteSpec, type TriggerName } from './admin/route-table.js';
export type { OperatorSurface, ConfigReload, ReloadStatus } from './context.js';
