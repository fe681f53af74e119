export { HealthProber, HEALTH_LOCK, type HealthProberDeps } from './prober.js';
