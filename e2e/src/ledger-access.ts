// The ledger of a running system, opened beside its services through the store's own
// operations — for tests that must set up a state the S3 API cannot produce (e.g. an object
// with more copies than the factor) the way a service of the system would. Single mode: the
// SQLite file (a second connection; the writer lock serialises it with the orchestrator's).
// Distributed mode: the run's Postgres database.
import { openLedger, type Ledger } from '@s3o/store';
import type { E2ESystem } from './harness.js';

export async function openSystemLedger(system: E2ESystem): Promise<Ledger> {
  const source = `e2e-test@${process.pid}`;
  if (system.ledgerPath !== null) return openLedger({ driver: 'sqlite', path: system.ledgerPath, source });
  if (!system.distributed) throw new Error('the system has neither a SQLite ledger nor a distributed database');
  const db = system.distributed.databaseSettings;
  return openLedger({
    driver: 'postgres',
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password ?? undefined,
    name: db.name,
    sslMode: 'disable',
    maxConns: 1,
    minConns: 0,
    maxConnLifetimeMs: 60_000,
    source,
  });
}
