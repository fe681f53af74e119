// `s3-orchestrator admin backup` and `admin restore`: a copy of the SQLite ledger taken while
// the orchestrator runs, and putting one back while it is stopped (docs/architecture.md §4
// "Backup and restore"). They open the ledger file directly, like rotate-key, rather than
// asking a gateway: SQLite's ledger is a local file, so whoever may back it up can already
// read it; the copy is written where the operator names, not streamed through a request; and a
// restore must run with the orchestrator stopped, when there is no gateway to ask.
// A Postgres ledger is backed up with the database's own tools (pg_dump / pg_restore): the
// commands print what to run.
import { parseArgs } from 'node:util';
import type { Config } from '@s3o/config';
import { backupSqliteLedger, LedgerInUseError, restoreSqliteLedger } from '@s3o/store';
import { loadConfigFile } from './config-file.js';
import { EXIT } from './admin/connection.js';

export const BACKUP_USAGE = `    admin backup --config FILE --out BACKUP
               copy the SQLite ledger (database.path) into BACKUP, a new file, while the
               orchestrator runs and writes (one consistent snapshot; checked before it is kept)
    admin restore --config FILE --from BACKUP
               put BACKUP in place of the SQLite ledger; refused while any process has the
               ledger open (stop the orchestrator first); the replaced ledger is kept beside it
               as <path>.before-restore-<time>. Objects written after the backup are on the
               backends but not in the ledger: run \`admin reconcile\` once started to import them.
               With a Postgres ledger both print the pg_dump / pg_restore commands to use.
`;

/** The pg_dump and pg_restore commands for the configured Postgres ledger (no password: PGPASSWORD). */
export function postgresCommands(db: Config['database'], file: string): { dump: string; restore: string } {
  const target = `--host=${db.host ?? '127.0.0.1'} --port=${db.port} --username=${db.user ?? 'postgres'}`;
  const name = db.name ?? 's3o';
  return {
    dump: `pg_dump ${target} --format=custom --file=${file} ${name}`,
    restore: `createdb ${target} ${name} && pg_restore ${target} --dbname=${name} --exit-on-error ${file}`,
  };
}

async function configOf(verb: string, args: string[], fileFlag: 'out' | 'from'): Promise<{ config: Config; file: string } | number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, [fileFlag]: { type: 'string' } }, allowPositionals: false }));
  } catch (err) {
    process.stderr.write(`admin ${verb}: ${(err as Error).message}\n\nusage:\n${BACKUP_USAGE}`);
    return EXIT.usage;
  }
  const file = values[fileFlag] as string | undefined;
  if (!values.config || !file) {
    process.stderr.write(`admin ${verb}: --config FILE and --${fileFlag} BACKUP are required\n\nusage:\n${BACKUP_USAGE}`);
    return EXIT.usage;
  }
  const loaded = await loadConfigFile(values.config as string);
  if (!loaded) return EXIT.usage;
  return { config: loaded.config, file };
}

export async function runBackupCommand(args: string[]): Promise<number> {
  const parsed = await configOf('backup', args, 'out');
  if (typeof parsed === 'number') return parsed;
  const { config, file } = parsed;
  if (config.database.driver !== 'sqlite') {
    process.stderr.write(`admin backup: the ledger is in Postgres; back it up with pg_dump (PGPASSWORD for the password):\n  ${postgresCommands(config.database, file).dump}\n`);
    return EXIT.usage;
  }
  try {
    const done = await backupSqliteLedger(config.database.path, file);
    process.stdout.write(`admin backup: ${file}: ${done.objects} objects, ${done.bytes} bytes, schema version ${done.schemaVersion}\n`);
    return EXIT.ok;
  } catch (err) {
    process.stderr.write(`admin backup: ${(err as Error).message}\n`);
    return EXIT.problems;
  }
}

export async function runRestoreCommand(args: string[]): Promise<number> {
  const parsed = await configOf('restore', args, 'from');
  if (typeof parsed === 'number') return parsed;
  const { config, file } = parsed;
  if (config.database.driver !== 'sqlite') {
    process.stderr.write(`admin restore: the ledger is in Postgres; restore a pg_dump into a new, empty database (PGPASSWORD for the password):\n  ${postgresCommands(config.database, file).restore}\n`
      + 'then, before starting the orchestrator, recover the writes and deletes made since the dump: s3-orchestrator rebuild --config F --merge\n');
    return EXIT.usage;
  }
  try {
    const done = await restoreSqliteLedger(file, config.database.path);
    process.stdout.write(`admin restore: ${config.database.path} now holds ${file} (${done.objects} objects)` +
      `${done.previous ? `; the ledger it replaced is ${done.previous}` : ''}.\n` +
      'Before starting the orchestrator, run `s3-orchestrator rebuild --config F --merge` to recover the writes and deletes\n' +
      'made since the backup (reconcile would delete those writes: keep reconcile.enabled off until then).\n');
    return EXIT.ok;
  } catch (err) {
    process.stderr.write(`admin restore: ${(err as Error).message}\n`);
    return err instanceof LedgerInUseError ? EXIT.refused : EXIT.problems;
  }
}
