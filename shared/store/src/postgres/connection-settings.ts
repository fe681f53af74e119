// Where the Postgres ledger connects and how: a connection URL or the `database.*` fields,
// resolved once into the settings every connection of the ledger uses (the pool, the
// migration runner, the leader-lock connections), with `ssl_mode` given libpq's meaning.
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import pg from 'pg';
import { stringifyDsn } from 'slonik';

/** libpq's sslmode values, as `database.ssl_mode` accepts them. */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface PostgresConnectionOptions {
  /**
   * `postgres://user:password@host:port/name?sslmode=…`. When set, host/port/user/password/name
   * must be left out (one source of truth for where the ledger lives).
   */
  url?: string | null;
  host?: string | null;
  /** default 5432 */
  port?: number | null;
  user?: string | null;
  password?: string | null;
  /** database name; default: the user name (as libpq) */
  name?: string | null;
  /** default: the URL's `sslmode`, else `prefer` (libpq's default) */
  sslMode?: SslMode | null;
  /** shown in pg_stat_activity; default `s3-orchestrator` */
  applicationName?: string | null;
  /** how long to wait for a connection to be established; default 5000 */
  connectTimeoutMs?: number | null;
}

/** One resolved target: every connection the ledger opens uses exactly these settings. */
export interface ConnectionSettings {
  host: string;
  port: number;
  user: string;
  password: string | null;
  database: string;
  applicationName: string;
  connectTimeoutMs: number;
  /** false = plaintext; otherwise the TLS options of every connection */
  tls: false | TlsOptions;
}

interface Target {
  host: string;
  port: number;
  user: string;
  password: string | null;
  database: string;
  sslMode: SslMode;
}

function sslModeOf(value: string, where: string): SslMode {
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  throw new Error(`${where}: unknown sslmode "${value}" (expected one of ${SSL_MODES.join(', ')})`);
}

function targetFromUrl(url: string, sslMode: SslMode | null): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('database url is not a valid URL (expected postgres://user:password@host:port/name)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`database url must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const user = decodeURIComponent(parsed.username);
  if (!host) throw new Error('database url has no host');
  if (!user) throw new Error('database url has no user');
  const urlSslMode = parsed.searchParams.get('sslmode');
  return {
    host,
    port: parsed.port ? Number(parsed.port) : 5432,
    user,
    password: parsed.password ? decodeURIComponent(parsed.password) : null,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || user,
    sslMode: sslMode ?? (urlSslMode === null ? 'prefer' : sslModeOf(urlSslMode, 'database url')),
  };
}

function target(options: PostgresConnectionOptions): Target {
  const sslMode = options.sslMode ? sslModeOf(options.sslMode, 'database.ssl_mode') : null;
  if (options.url) {
    const extra = (['host', 'port', 'user', 'password', 'name'] as const).filter((k) => options[k] != null);
    if (extra.length > 0) {
      throw new Error(`give the database either as a url or as fields, not both (also set: ${extra.join(', ')})`);
    }
    return targetFromUrl(options.url, sslMode);
  }
  if (!options.host) throw new Error('database.host is required for the postgres driver');
  if (!options.user) throw new Error('database.user is required for the postgres driver');
  return {
    host: options.host,
    port: options.port ?? 5432,
    user: options.user,
    password: options.password ?? null,
    database: options.name || options.user,
    sslMode: sslMode ?? 'prefer',
  };
}

/**
 * TLS options for the modes that do not probe. libpq's `require` encrypts without checking
 * the certificate; `verify-ca` checks the chain (system CAs plus NODE_EXTRA_CA_CERTS) but not
 * the host name; `verify-full` checks both.
 */
function fixedTls(mode: 'require' | 'verify-ca' | 'verify-full'): TlsOptions {
  switch (mode) {
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/** Options for a raw `pg.Client` (migrations, leader locks) with these settings. */
export function clientConfig(settings: ConnectionSettings): pg.ClientConfig {
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password ?? undefined,
    database: settings.database,
    application_name: settings.applicationName,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    ssl: settings.tls,
    keepAlive: true,
  };
}

/** The DSN slonik's pool is created with (TLS goes separately, as its `ssl` option). */
export function poolDsn(settings: ConnectionSettings): string {
  return stringifyDsn({
    host: settings.host,
    port: settings.port,
    username: settings.user,
    password: settings.password ?? undefined,
    databaseName: settings.database,
    applicationName: settings.applicationName,
  });
}

/**
 * A connected raw client (migrations, leader locks, probes). A failure to connect names the
 * target (never the password), so a wrong host or credential is obvious in the log.
 */
export async function connectClient(settings: ConnectionSettings, extra: pg.ClientConfig = {}): Promise<pg.Client> {
  const client = new pg.Client({ ...clientConfig(settings), ...extra });
  // Until the caller listens: an error while connecting is also emitted as an event, and
  // the rejected connect() below already reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw Object.assign(new Error(`cannot connect to ${describeTarget(settings)}: ${(err as Error).message}`, { cause: err }), {
      code: (err as { code?: unknown }).code,
    });
  }
  return client;
}

/** Connects once with `tls` and disconnects; rejects with the connection's error. */
async function probe(base: Omit<ConnectionSettings, 'tls'>, tls: false | TlsOptions): Promise<void> {
  const client = await connectClient({ ...base, tls });
  await client.end().catch(() => {});
}

function isServerRefusal(err: unknown): boolean {
  // The server answered with an error (e.g. pg_hba "no encryption"), as opposed to a network failure.
  return typeof (err as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((err as { code: string }).code);
}

/**
 * Resolve the options into connection settings. `allow` and `prefer` depend on what the
 * server accepts, which node-postgres cannot renegotiate per connection as libpq does, so
 * they are decided once here by a probe: `prefer` uses TLS unless the server does not
 * support it; `allow` uses plaintext unless the server refuses it.
 */
export async function resolveConnectionSettings(options: PostgresConnectionOptions): Promise<ConnectionSettings> {
  const t = target(options);
  const base = {
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: t.database,
    applicationName: options.applicationName ?? 's3-orchestrator',
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
  };
  switch (t.sslMode) {
    case 'disable':
      return { ...base, tls: false };
    case 'require':
    case 'verify-ca':
    case 'verify-full':
      return { ...base, tls: fixedTls(t.sslMode) };
    case 'prefer': {
      const tls = fixedTls('require');
      try {
        await probe(base, tls);
        return { ...base, tls };
      } catch (err) {
        if (/does not support SSL/i.test((err as Error).message)) return { ...base, tls: false };
        throw err;
      }
    }
    case 'allow': {
      try {
        await probe(base, false);
        return { ...base, tls: false };
      } catch (err) {
        if (!isServerRefusal(err)) throw err;
        const tls = fixedTls('require');
        await probe(base, tls);
        return { ...base, tls };
      }
    }
  }
}

/** The target without its password, for messages. */
export function describeTarget(settings: ConnectionSettings): string {
  return `postgres://${settings.user}@${settings.host}:${settings.port}/${settings.database}`;
}
