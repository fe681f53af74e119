// A test double for "the database cannot be reached" in front of a real ledger.
//
// Why a double: the SQLite ledger is a file in this process; it cannot become unreachable
// on cue the way a database server does. So while `reachable` is false, every ledger call —
// operation groups included (`ledger.drains.*`, `ledger.notifications.*`) — fails the way
// node-postgres fails when the server is down (ECONNREFUSED); otherwise the call goes to the
// real ledger. The Postgres test (degraded-postgres.test.ts) shows the
// same behaviour with a database server that is really stopped.
import type { Ledger } from '@s3o/store';

export interface SwitchableLedger {
  ledger: Ledger;
  reachable: boolean;
  /** Calls that arrived while the database was unreachable (each one an attempt to reach it). */
  readonly attemptsWhileUnreachable: number;
}

function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5432,
  });
}

export function switchableLedger(real: Ledger): SwitchableLedger {
  const state = { reachable: true, attempts: 0 };
  const switchable = <T extends object>(target: T, top: boolean): T => new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (value !== null && typeof value === 'object') return switchable(value, false);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      if (top && property === 'close') return fn.bind(object);
      return async (...args: unknown[]) => {
        if (!state.reachable) {
          state.attempts++;
          throw connectionRefused();
        }
        return fn.apply(object, args);
      };
    },
  });
  return {
    ledger: switchable(real, true),
    get reachable() {
      return state.reachable;
    },
    set reachable(value: boolean) {
      state.reachable = value;
    },
    get attemptsWhileUnreachable() {
      return state.attempts;
    },
  };
}
