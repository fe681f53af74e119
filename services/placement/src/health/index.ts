export { HealthProber, type HealthProberDeps, type ProbeCounts } from './prober.js';
