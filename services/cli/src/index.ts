export { serve, type RunningOrchestrator } from './serve.js';
