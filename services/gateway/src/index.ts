export { createGatewayApp, type Gateway } from './server.js';
export { reloadTlsOnSighup } from './http/tls-reload.js';
export type { GatewayDeps } from './context.js';
export type { VerifyReport, BackendVerification } from './admin/verify.js';
