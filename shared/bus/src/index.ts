export type { EventBus, EventHandler, Subscription } from './types.js';
export { InProcessBus, type InProcessBusOptions } from './in-process.js';
