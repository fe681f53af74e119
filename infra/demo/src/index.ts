export { startS3rver } from './s3rver-process.js';
export type { StartS3rverOptions, S3rverProcess } from './s3rver-process.js';
export { portOutsideEphemeralRange, retryWhileAddressInUse, mentionsAddressInUse } from './ports.js';
export type { RetryOptions } from './ports.js';
