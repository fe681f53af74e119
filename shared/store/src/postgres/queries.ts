// What a statement runs on: one connection's query methods, usable only while the
// transaction (or read snapshot) they were handed out for is open — a statement object kept
// past its transaction must not slip into whatever runs on that pooled connection next.
import type { CommonQueryMethods } from 'slonik';

export type Queries = Pick<CommonQueryMethods, 'any' | 'maybeOne' | 'one' | 'query'>;

/**
 * `queries` for a read of one statement (PostgresAdapter.readStatement): without a
 * transaction, a second statement would see another snapshot, so it throws instead.
 */
export function oneStatement(queries: Queries): Queries {
  let used = false;
  const once = (): void => {
    if (used) throw new Error('a single-statement read ran a second statement: it needs read()');
    used = true;
  };
  return {
    any: async (query) => (once(), queries.any(query)),
    maybeOne: async (query) => (once(), queries.maybeOne(query)),
    one: async (query) => (once(), queries.one(query)),
    query: async (query) => (once(), queries.query(query)),
  };
}

export function scopedQueries(connection: CommonQueryMethods, isOpen: () => boolean): Queries {
  const check = (): void => {
    if (!isOpen()) throw new Error('a ledger statement was used after its transaction ended');
  };
  return {
    any: async (query) => {
      check();
      return connection.any(query);
    },
    maybeOne: async (query) => {
      check();
      return connection.maybeOne(query);
    },
    one: async (query) => {
      check();
      return connection.one(query);
    },
    query: async (query) => {
      check();
      return connection.query(query);
    },
  };
}
