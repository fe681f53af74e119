// Usage metering and monthly limits (docs/architecture.md §2 "usage"); see each module.
export { usagePeriod, ZERO_USAGE, type BackendUsage, type UsageCounts } from './period.js';
export { UsageMeter } from './meter.js';
export { UsageBoard, type PublishedUsage, type SentDelta } from './board.js';
export {
  UsageLimitGate, USAGE_LIMIT_GATE, limitRatio, passedLimit, usageLimitsOf, type UsageLimitKind, type UsageLimits,
} from './limits.js';
export { UsageFlusher, type FlushCounts, type UsageFlusherOptions } from './flusher.js';
export type { ProcessUsage } from './process.js';
