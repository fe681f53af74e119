// The ledger as the gateway's actions see it: every operation runs under the database
// breaker, so an unreachable database surfaces as one error type (DatabaseUnavailableError)
// wherever an action touches the ledger, and an open breaker fails calls at once instead
// of letting requests wait for connection timeouts.
//
// A Proxy rather than a class that repeats each method: every operation of the Ledger
// interface — including ones added later — goes through the breaker without this file
// having to know it, so no new ledger call can bypass it.
import type { DatabaseBreaker } from './breaker.js';

/**
 * Passed through as they are: `close` belongs to whoever opened the ledger and must work
 * whatever the breaker thinks; a leader lock is a long-lived connection of its own, not a
 * request's call (the gateway takes none), and its loss must be reported as such.
 */
const UNGUARDED = new Set<PropertyKey>(['close', 'tryLeaderLock']);

export function guardLedger<L extends object>(ledger: L, breaker: DatabaseBreaker): L {
  const methods = new Map<PropertyKey, unknown>();
  return new Proxy(ledger, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let method = methods.get(property);
      if (method === undefined) {
        const fn = value as (...args: unknown[]) => Promise<unknown>;
        method = UNGUARDED.has(property)
          ? fn.bind(target)
          : (...args: unknown[]) => breaker.call(() => fn.apply(target, args));
        methods.set(property, method);
      }
      return method;
    },
  });
}
