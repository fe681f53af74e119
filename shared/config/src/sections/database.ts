// `database.*`: the ledger's engine (sqlite for one process, postgres for many) and its
// connection. Left out, the driver follows `database.host` (derived.ts).

import type { z } from 'zod';
import { DATABASE_DRIVERS, type DatabaseDriver } from '../derived.js';
import { choice, duration, integer, optionalChoice, optionalInteger, optionalText, section, textOr } from '../fields.js';
import { defineSection } from '../section.js';
import { MINUTE } from '../units.js';

export interface DatabaseConfig {
  driver: DatabaseDriver;
  /** SQLite file (default `./data/s3o.db`). */
  path: string;
  host: string | null;
  port: number;
  user: string | null;
  password: string | null;
  name: string | null;
  sslMode: 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  maxConns: number;
  minConns: number;
  maxConnLifetimeMs: number;
  /** Named prepared statements kept per connection; 0 sends every statement unnamed. */
  statementCacheSize: number;
}

const schema = section({
  driver: optionalChoice(DATABASE_DRIVERS),
  path: textOr('./data/s3o.db'),
  host: optionalText(),
  port: integer(5432, { min: 1, max: 65_535 }),
  user: optionalText(),
  password: optionalText(),
  name: optionalText(),
  // Upstream's name for `name` (an upstream file starts unchanged).
  database: optionalText(),
  ssl_mode: choice('require', ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const),
  max_conns: integer(10, { min: 1 }),
  // Defaults to min(5, max_conns) so lowering max_conns alone stays valid.
  min_conns: optionalInteger({ min: 0 }),
  max_conn_lifetime: duration(5 * MINUTE, { allowZero: false }),
  // 0 for a pooler in transaction mode that cannot keep a session's prepared statements
  // (PgBouncer before 1.21, or without max_prepared_statements).
  statement_cache: integer(256, { min: 0 }),
});

type Reads = { database: z.output<typeof schema> };

export const databaseSection = defineSection({
  key: 'database',
  field: 'database',
  schema,
  normalise: ({ database }: Reads, derived): DatabaseConfig => ({
    driver: derived.databaseDriver,
    path: database.path,
    host: database.host,
    port: database.port,
    user: database.user,
    password: database.password,
    name: database.name ?? database.database,
    sslMode: database.ssl_mode,
    maxConns: database.max_conns,
    minConns: database.min_conns ?? Math.min(5, database.max_conns),
    maxConnLifetimeMs: database.max_conn_lifetime,
    statementCacheSize: database.statement_cache,
  }),
  check({ database }: Reads, report) {
    if (database.name !== null && database.database !== null && database.name !== database.database) {
      report(['database', 'database'], `upstream's name for database.name; the two differ ("${database.database}" and "${database.name}"): keep one`);
    }
    if (database.min_conns !== null && database.min_conns > database.max_conns) {
      report(['database', 'min_conns'], `must not exceed max_conns (${database.max_conns})`);
    }
  },
});
