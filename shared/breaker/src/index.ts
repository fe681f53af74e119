// @s3o/breaker: the circuit breaker's state machine, once, for every breaker of the system
// (the gateway's around the database, one per backend in every process). Each user keeps its
// own policy: what counts as a failure, what its probe asks.
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState, type CircuitChange, type ProbeBackoff, type Admission } from './circuit-breaker.js';
export { systemTimers, type Timers } from './timers.js';
export { ManualTimers, type ScheduledTimer } from './manual-timers.js';
