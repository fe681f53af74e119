// The gateway's degraded mode, wired from `circuit_breaker.*`: the breaker, the ledger
// guarded by it (what every action uses), the reader that serves GET/HEAD from the
// backends while the breaker is open, and the cache that reader keeps. Recovery needs no
// restart: the breaker closes on the first database answer, and the cache is dropped then
// so reads go back to the ledger's view at once.
import type { GatewayDeps, GatewayLedger } from '../context.js';
import { DatabaseBreaker } from './database-breaker.js';
import { DegradedReader } from './degraded-reader.js';
import { guardLedger } from './guarded-ledger.js';
import { LocationCache } from './location-cache.js';

export interface DegradedMode {
  breaker: DatabaseBreaker;
  /** The ledger every action calls: deps.ledger under the breaker. */
  ledger: GatewayLedger;
  reader: DegradedReader;
  /** Stops the breaker's background probe (the gateway is closing). */
  stop(): void;
}

export function createDegradedMode(deps: GatewayDeps): DegradedMode {
  const settings = deps.config.circuitBreaker;
  const cache = new LocationCache(settings.cacheTtlMs);
  const breaker = new DatabaseBreaker({
    failureThreshold: settings.failureThreshold,
    openTimeoutMs: settings.openTimeoutMs,
    // One small read: proves a connection can be had and a statement runs.
    probe: () => deps.ledger.getQuotas(),
    onStateChange: (to, cause) => {
      if (to === 'open') {
        deps.logger.error({ err: cause }, 'database unreachable: circuit breaker open; serving reads from the backends, refusing writes and listings');
        return;
      }
      cache.clear();
      deps.logger.info('database reachable again: circuit breaker closed; normal service');
    },
  });
  return {
    breaker,
    ledger: guardLedger(deps.ledger, breaker),
    reader: new DegradedReader({ backends: deps.backends, settings, cache, logger: deps.logger }),
    stop: () => breaker.stop(),
  };
}
