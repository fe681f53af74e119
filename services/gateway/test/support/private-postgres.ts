// A private PostgreSQL cluster for one test: its own data directory under os.tmpdir(), its
// own port and socket directory, so the test can stop and start the database at will
// without touching the machine's shared cluster (docs/architecture.md §8: "A test that must stop
// Postgres starts its own private cluster for that").
//
// The server refuses to run as root, so every pg binary runs as the `postgres` user
// (runuser) on a directory that user owns. Commands run asynchronously: the gateway under
// test lives in this same process and must keep serving while the cluster is stopped.
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const PG_BIN = process.env.S3O_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function asPostgres(binary: string, args: string[]): Promise<void> {
  try {
    await run('runuser', ['-u', RUN_AS, '--', join(PG_BIN, binary), ...args], { timeout: 60_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${binary} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 's3o-private-pg-'));
  const { uid, gid } = await userIds(RUN_AS);
  await chown(dir, uid, gid);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  let running = false;
  let destroyed = false;

  // -k: the Unix socket goes to our directory, not /var/run/postgresql (the shared cluster's).
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-l', log, '-o', serverOptions, '-w', '-t', '60', 'start']);
    running = true;
  };
  const stop = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
    running = false;
  };
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    if (running) await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await start();
  } catch (err) {
    await destroy();
    throw err;
  }
  return { port, start, stop, destroy };
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
