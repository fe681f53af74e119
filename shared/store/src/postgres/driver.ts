// The slonik driver of the ledger's pool: node-postgres clients, made as slonik's own pg
// driver makes them (same type parsers, same errors), except that a statement a connection
// runs again goes as a named prepared statement (statement-cache.ts), so Postgres keeps its
// plan instead of planning it on every run. slonik 47's pg driver cannot name a statement.
import {
  createDriverFactory, type DriverClientEventEmitter, type DriverFactory, type DriverQueryResult, type DriverTypeParser,
} from '@slonik/driver';
import pg from 'pg';
import { parse as parseArray } from 'postgres-array';
import {
  BackendTerminatedError, BackendTerminatedUnexpectedlyError, CheckExclusionConstraintViolationError,
  CheckIntegrityConstraintViolationError, ForeignKeyIntegrityConstraintViolationError, IdleTransactionTimeoutError,
  InputSyntaxError, InvalidInputError, NotNullIntegrityConstraintViolationError, StatementCancelledError,
  StatementTimeoutError, UniqueIntegrityConstraintViolationError,
} from 'slonik';
import { clientConfig, type ConnectionSettings } from './connection-settings.js';
import { StatementCache } from './statement-cache.js';

type TypeParserLookup = (oid: number) => (value: string) => unknown;

/** slonik's type parsers (int8, timestamps, …) by oid, for this server's type oids. */
async function typeParsersOf(settings: ConnectionSettings, parsers: readonly DriverTypeParser[]): Promise<TypeParserLookup> {
  const client = new pg.Client(clientConfig(settings));
  await client.connect();
  let rows: Array<{ oid: number; typarray: number; typname: string }>;
  try {
    ({ rows } = await client.query('SELECT oid, typarray, typname FROM pg_type WHERE typname = ANY($1::text[])', [
      parsers.map((parser) => parser.name),
    ]));
  } finally {
    await client.end();
  }
  const byOid = new Map<number, (value: string) => unknown>();
  for (const parser of parsers) {
    const type = rows.find((row) => row.typname === parser.name);
    if (!type) throw new Error(`Database type "${parser.name}" not found.`);
    byOid.set(type.oid, (value) => parser.parse(value));
    if (type.typarray) byOid.set(type.typarray, (value) => parseArray(value, (item) => parser.parse(item)));
  }
  return (oid) => byOid.get(oid) ?? pg.types.getTypeParser(oid);
}

const CONSTRAINT_ERRORS: Record<string, new (error: Error) => Error> = {
  '23502': NotNullIntegrityConstraintViolationError,
  '23503': ForeignKeyIntegrityConstraintViolationError,
  '23505': UniqueIntegrityConstraintViolationError,
  '23514': CheckIntegrityConstraintViolationError,
  '23P01': CheckExclusionConstraintViolationError,
};

/** node-postgres's error as slonik's pg driver gives it (the adapter tells broken connections apart by class). */
function slonikError(error: Error & { code?: string }, query: { sql: string; values: readonly unknown[] } | null): Error {
  const message = error.message.toLowerCase();
  if (message.includes('connection terminated unexpectedly')) return new BackendTerminatedUnexpectedlyError(error);
  if (message.includes('connection terminated')) return new BackendTerminatedError(error);
  switch (error.code) {
    case undefined:
      return error;
    case '22P02':
      return new InvalidInputError(error.message);
    case '25P03':
      return new IdleTransactionTimeoutError(error);
    case '57P01':
      return new BackendTerminatedError(error);
    case '57014':
      return error.message.includes('canceling statement due to user request')
        ? new StatementCancelledError(error)
        : new StatementTimeoutError(error);
    case '42601':
      return query ? new InputSyntaxError(error as pg.DatabaseError, { sql: query.sql, values: query.values as never }) : error;
  }
  const constraint = CONSTRAINT_ERRORS[error.code];
  return constraint ? new constraint(error) : error;
}

/**
 * Postgres refused a prepared statement: a migration changed the type of a result it returns
 * ("cached plan must not change result type"), or the session lost its statements.
 */
function invalidatesStatements(error: { code?: string; message: string }): boolean {
  return (error.code === '0A000' && error.message.includes('cached plan')) || error.code === '26000';
}

/** node-postgres's record of the statements a connection has parsed (kept in step with DEALLOCATE). */
function parsedStatementsOf(client: pg.Client): Record<string, string> | null {
  const parsed = (client as unknown as { connection?: { parsedStatements?: unknown } }).connection?.parsedStatements;
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : null;
}

/**
 * Evicted (or, after a refusal, all) prepared statements are deallocated when the connection
 * goes back to the pool: outside any transaction, and queued by node-postgres ahead of
 * whatever the next holder runs.
 */
function deallocateOnRelease(client: pg.Client, cache: StatementCache, events: DriverClientEventEmitter): void {
  events.on('release', () => {
    const taken = cache.takeDeallocations();
    const names = taken === 'ALL' ? ['ALL'] : taken;
    if (names.length === 0) return;
    const parsed = parsedStatementsOf(client);
    for (const name of names) {
      // A failure here means the connection broke; the next statement on it reports that.
      client.query(`DEALLOCATE ${name}`).catch(() => {});
      if (!parsed) continue;
      if (name === 'ALL') for (const key of Object.keys(parsed)) delete parsed[key];
      else delete parsed[name];
    }
  });
}

export interface LedgerDriverOptions {
  /** database.statement_cache: named statements kept per connection; 0 sends every statement unnamed */
  statementCacheSize: number;
}

export function createLedgerDriverFactory(settings: ConnectionSettings, options: LedgerDriverOptions): DriverFactory {
  return createDriverFactory(async ({ driverConfiguration }) => {
    const { statementTimeout, idleInTransactionSessionTimeout } = driverConfiguration;
    const config: pg.ClientConfig = {
      ...clientConfig(settings),
      types: { getTypeParser: (await typeParsersOf(settings, driverConfiguration.typeParsers)) as pg.CustomTypesConfig['getTypeParser'] },
      ...(statementTimeout === 'DISABLE_TIMEOUT' ? {} : { statement_timeout: Math.max(1, statementTimeout) }),
      ...(idleInTransactionSessionTimeout === 'DISABLE_TIMEOUT'
        ? {}
        : { idle_in_transaction_session_timeout: Math.max(1, idleInTransactionSessionTimeout) }),
    };
    return {
      createPoolClient: async ({ clientEventEmitter }) => {
        const client = new pg.Client(config);
        const cache = new StatementCache(options.statementCacheSize);
        const onError = (error: Error): void => void clientEventEmitter.emit('error', slonikError(error, null));
        const onNotice = (notice: { message?: string }): void => {
          if (notice.message) clientEventEmitter.emit('notice', { message: notice.message });
        };
        client.on('error', onError);
        client.on('notice', onNotice);
        deallocateOnRelease(client, cache, clientEventEmitter);
        return {
          connect: async () => {
            await client.connect();
          },
          end: async () => {
            await client.end();
            client.removeListener('error', onError);
            client.removeListener('notice', onNotice);
          },
          query: async (sql, values = []): Promise<DriverQueryResult> => {
            const name = cache.nameFor(sql);
            let result: pg.QueryResult | pg.QueryResult[];
            try {
              result = await client.query(name === null ? { text: sql, values } : { name, text: sql, values });
            } catch (error) {
              if (name !== null && invalidatesStatements(error as pg.DatabaseError)) cache.invalidate();
              throw slonikError(error as Error, { sql, values });
            }
            if (Array.isArray(result)) throw new InvalidInputError('Must not use multiple statements in a single query.');
            return {
              command: result.command as DriverQueryResult['command'],
              fields: result.fields.map((field) => ({ dataTypeId: field.dataTypeID, name: field.name })),
              rowCount: result.rowCount,
              rows: result.rows,
            };
          },
          stream: () => {
            // The ledger reads every result whole (slonik's `stream` is never called).
            throw new InvalidInputError('the ledger driver does not stream query results');
          },
        };
      },
    };
  });
}
