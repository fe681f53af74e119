// The backend-client comparison (`--scenarios backend-client`): see run.ts.
export { BACKEND_CLIENT_SCENARIO, backendClientScenarios, runBackendClientBench, type BackendClientBenchOptions } from './run.js';
export { renderBackendClientMarkdown, renderBackendClientText, writeBackendClientReport } from './report.js';
export type { BackendClientReport, ClientName, ClientResult, ClientRow } from './model.js';
