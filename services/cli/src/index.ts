export { serve, type RunningOrchestrator } from './serve.js';
export { runService, type RunningService } from './run-service.js';
export { SERVICE_NAMES, type ServiceName } from './services.js';
