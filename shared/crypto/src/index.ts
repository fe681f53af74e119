export * from './layout.js';
export * from './keys.js';
export * from './envelope.js';
export * from './streams.js';
export * from './key-check.js';
export * from './read-plan.js';
export * from './digests.js';
