export { createGatewayApp, reloadTlsOnSighup, type Gateway } from './server.js';
export type { GatewayDeps } from './context.js';
export type { VerifyReport, BackendVerification } from './admin/verify.js';
