// @s3o/usage: the usage service (folds usage.delta into backend_usage and publishes the
// totals) and the per-process usage runtime every service process runs (process-usage.ts).
export { startUsageService, USAGE_FOLD_CONSUMER, type UsageService, type UsageServiceDeps } from './fold.js';
export { createProcessUsage, type ProcessUsageRuntime } from './process-usage.js';
