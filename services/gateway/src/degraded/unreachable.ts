// Which ledger failures mean "the database cannot be reached" — the only failures that
// count towards opening the database breaker. A business answer (NoSuchUpload,
// PreconditionFailed, …), a constraint violation or a statement timeout all prove the
// database is there and answering, so they never open it.
import { LedgerError } from '@s3o/store';

/** Socket-level failures Node reports while connecting to or talking with the server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE',
  'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN',
]);

/**
 * Postgres SQLSTATEs of a server that is going away or cannot take us: class 08 is
 * "connection exception"; 57P01–57P03 are admin shutdown, crash shutdown and "starting
 * up"; 53300 is too_many_connections.
 */
const SERVER_GONE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** slonik's classes for "no connection could be had" and "the connection died". */
const DRIVER_CONNECTION_ERRORS = new Set(['ConnectionError', 'BackendTerminatedError', 'BackendTerminatedUnexpectedlyError']);

/** node-postgres reports a dropped or timed-out connection by message only. */
const PG_CONNECTION_MESSAGE = /^(Connection terminated|Connection ended unexpectedly|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error)/i;

/** SQLite cannot open or read its file (disk gone, volume unmounted). SQLITE_BUSY is contention, not absence. */
const SQLITE_UNAVAILABLE = /^SQLITE_(CANTOPEN|IOERR)/;

/** How deep to follow `cause`: drivers wrap the socket error once or twice. */
const MAX_CAUSE_DEPTH = 8;

function looksUnreachable(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SERVER_GONE_STATES.has(code) || SQLITE_UNAVAILABLE.test(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (DRIVER_CONNECTION_ERRORS.has(err.constructor.name)) return true;
  return PG_CONNECTION_MESSAGE.test(err.message);
}

export function isDatabaseUnreachable(err: unknown): boolean {
  if (err instanceof LedgerError) return false;
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < MAX_CAUSE_DEPTH; depth++) {
    if (looksUnreachable(current)) return true;
    current = current.cause;
  }
  return false;
}
