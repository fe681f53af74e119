// The ledger as the gateway's actions see it: every operation runs under the database
// breaker, so an unreachable database surfaces as one error type (DatabaseUnavailableError)
// wherever an action touches the ledger, and an open breaker fails calls at once instead
// of letting requests wait for connection timeouts.
//
// A Proxy rather than a class that repeats each method: every operation of the Ledger
// interface — including ones added later — goes through the breaker without this file
// having to know it, so no new ledger call can bypass it. Operation groups hung off the
// ledger (`ledger.drains.*`, `ledger.notifications.*`, any added later) are guarded the same
// way, at any depth.
import type { DatabaseBreaker } from './database-breaker.js';

/**
 * Passed through as they are: `close` belongs to whoever opened the ledger and must work
 * whatever the breaker thinks; a leader lock is a long-lived connection of its own, not a
 * request's call (the gateway takes none), and its loss must be reported as such;
 * `eventsAppended` is a signal the buses listen to, not an operation.
 */
const UNGUARDED = new Set<PropertyKey>(['close', 'tryLeaderLock', 'eventsAppended']);

export function guardLedger<L extends object>(ledger: L, breaker: DatabaseBreaker): L {
  return guard(ledger, breaker, true);
}

function guard<T extends object>(target: T, breaker: DatabaseBreaker, top: boolean): T {
  const members = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (value === null || (typeof value !== 'function' && typeof value !== 'object')) return value;
      if (top && UNGUARDED.has(property) && typeof value === 'object') return value;
      let member = members.get(property);
      if (member === undefined) {
        if (typeof value === 'object') {
          member = guard(value, breaker, false);
        } else {
          const fn = value as (...args: unknown[]) => Promise<unknown>;
          member = top && UNGUARDED.has(property)
            ? fn.bind(object)
            : (...args: unknown[]) => breaker.call(() => fn.apply(object, args));
        }
        members.set(property, member);
      }
      return member;
    },
  });
}
