// A private PostgreSQL cluster for one test: its own data directory under os.tmpdir(), its
// own port and socket directory, so the test can stop and start the database at will
// without touching the machine's shared cluster (docs/architecture.md §8: "A test that must stop
// Postgres starts its own private cluster for that").
//
// The server binaries are found wherever the machine has them (S3O_TEST_PG_BIN, else
// `pg_config --bindir`, else the newest /usr/lib/postgresql/<major>/bin, else PATH). The
// server refuses to run as root, so as root every pg binary runs as the `postgres` user
// (runuser) on a directory that user owns; as anyone else, as that user. The port lies
// outside the kernel's ephemeral range, so while the cluster is stopped no other process
// is handed it; a start that still finds it taken waits and tries again. Commands run
// asynchronously: the gateway under test lives in this same process and must keep serving
// while the cluster is stopped.
import { execFile } from 'node:child_process';
import { access, chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { mentionsAddressInUse, portOutsideEphemeralRange, retryWhileAddressInUse } from '@s3o/demo-backends';

const run = promisify(execFile);

/** The user the server runs as when this process is root. */
const RUN_AS = 'postgres';

export interface PrivatePostgres {
  port: number;
  /** Starts the (stopped) cluster and waits until it accepts connections. */
  start(): Promise<void>;
  /** Fast shutdown (open sessions are terminated), waiting until the server is gone. */
  stop(): Promise<void>;
  /** Stops the server if it runs and removes its directory. Safe to call more than once. */
  destroy(): Promise<void>;
}

async function hasServerBinaries(dir: string): Promise<boolean> {
  try {
    await Promise.all(['initdb', 'pg_ctl', 'postgres'].map((b) => access(join(dir, b))));
    return true;
  } catch {
    return false;
  }
}

/** The directory holding initdb, pg_ctl and postgres. */
export async function postgresBinDir(): Promise<string> {
  const configured = process.env.S3O_TEST_PG_BIN;
  if (configured) {
    if (await hasServerBinaries(configured)) return configured;
    throw new Error(`S3O_TEST_PG_BIN=${configured} has no initdb, pg_ctl and postgres`);
  }
  const candidates: string[] = [];
  try {
    candidates.push((await run('pg_config', ['--bindir'])).stdout.trim());
  } catch {
    // No pg_config (it comes with the client development files): look further.
  }
  // Debian and Ubuntu install each major version under /usr/lib/postgresql/<major>/bin.
  const majors = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  for (const major of majors.filter((m) => /^\d+$/.test(m)).sort((a, b) => Number(b) - Number(a))) {
    candidates.push(join('/usr/lib/postgresql', major, 'bin'));
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''));
  for (const dir of candidates) if (await hasServerBinaries(dir)) return dir;
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in pg_config --bindir, /usr/lib/postgresql/*/bin or PATH: ' +
      'install the postgresql package (infra/ensure-services.sh does) or set S3O_TEST_PG_BIN',
  );
}

const isRoot = () => process.getuid?.() === 0;

async function pgCommand(bin: string, binary: string, args: string[]): Promise<void> {
  const [command, commandArgs] = isRoot() ? ['runuser', ['-u', RUN_AS, '--', join(bin, binary), ...args]] : [join(bin, binary), args];
  try {
    await run(command, commandArgs, { timeout: 60_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${binary} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await postgresBinDir();
  const dir = await mkdtemp(join(tmpdir(), 's3o-private-pg-'));
  if (isRoot()) {
    const { uid, gid } = await userIds(RUN_AS);
    await chown(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  let port = 0;
  let running = false;
  let destroyed = false;

  const startOn = async (p: number) => {
    // -k: the Unix socket goes to our directory, not /var/run/postgresql (the shared cluster's).
    const serverOptions = `-p ${p} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    try {
      await pgCommand(bin, 'pg_ctl', ['-D', data, '-l', log, '-o', serverOptions, '-w', '-t', '60', 'start']);
    } catch (err) {
      // Why the server did not come up is in its log (e.g. "could not bind … Address already in use").
      const tail = (await readFile(log, 'utf8').catch(() => '')).slice(-2000);
      throw new Error(`${(err as Error).message}\nserver log:\n${tail}`, { cause: err });
    }
    port = p;
    running = true;
  };
  // A restart keeps the port: clients hold its URL.
  const start = () => retryWhileAddressInUse(() => startOn(port), mentionsAddressInUse);
  const stop = async () => {
    await pgCommand(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
    running = false;
  };
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    if (running) await pgCommand(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await pgCommand(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    // The first start takes another port when the one picked was taken meanwhile.
    await retryWhileAddressInUse(async () => startOn(await portOutsideEphemeralRange()), mentionsAddressInUse);
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    get port() {
      return port;
    },
    start,
    stop,
    destroy,
  };
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
