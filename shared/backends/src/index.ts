export { BackendClient, createBackendClients } from './client.js';
export type {
  CompletedPart,
  GetObjectOptions,
  GetObjectResult,
  ListObjectsOptions,
  ObjectInfo,
  ObjectResponseHeaders,
  ObjectWriteOptions,
  PutObjectOptions,
  RequestOptions,
  UploadPartOptions,
} from './client.js';
export type { BackendClientConfig } from './config.js';
export { DEFAULT_MAX_SOCKETS, DEFAULT_TIMEOUT_MS } from './config.js';
export { BackendError, BackendUnsupportedError, mayHaveBeenCarriedOut } from './errors.js';
export type { BackendErrorInit } from './errors.js';
export { decodeMetadataValue, encodeMetadataValue } from './metadata.js';
export type { StandardHeaders } from './metadata.js';
export type { ListedObject, ListedUpload, ListPage } from './s3-xml.js';
export { ObserverList } from './observe.js';
export type { BackendCall, BackendCallOutcome, BackendObserver } from './observe.js';
export { BackendAvailability } from './availability.js';
export type { BackendGate, BackendRefusal, BackendUse } from './availability.js';
export { ConcurrencyBudget, ProcessAdmission, type AdmissionSettings, type Release } from './concurrency-budgets.js';
export * from './usage/index.js';
export { BackendBreakers, failureOf } from './breaker.js';
export type { BreakerChange, BreakerRuntime, BreakerSettings, BreakerState } from './breaker.js';
