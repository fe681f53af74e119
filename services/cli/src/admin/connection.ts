// Where an admin command sends its requests and as whom: flags first, then the environment
// (S3O_ADMIN_ADDR, S3O_ACCESS_KEY_ID, S3O_SECRET_ACCESS_KEY), then the configuration file
// (server.listen_addr and auth.root). Each answer becomes the body, or an AdminCommandError
// whose exit code says what went wrong (EXIT below).
import type { Config } from '@s3o/config';
import { loadConfigFile } from '../config-file.js';
import { callAdminApi, streamAdminApi, type AdminCall, type AdminCredential } from './client.js';

/** Exit codes of `s3-orchestrator admin …`. */
export const EXIT = {
  ok: 0,
  /** the command ran and found problems (verify), or the pass it ran failed */
  problems: 1,
  /** bad flags, no address or no credentials */
  usage: 2,
  /** the gateway refused: not found, busy, conflict, access denied */
  refused: 3,
  /** the gateway could not be reached, or failed (5xx) */
  unavailable: 4,
} as const;

export class AdminCommandError extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message);
  }
}

export interface ConnectionFlags {
  config?: string;
  addr?: string;
  url?: string;
  'access-key-id'?: string;
  'secret-access-key'?: string;
}

export const CONNECTION_OPTIONS = {
  config: { type: 'string', short: 'c' },
  addr: { type: 'string' },
  url: { type: 'string' },
  'access-key-id': { type: 'string' },
  'secret-access-key': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** The gateway's URL from `server.listen_addr`: a wildcard address is reached on loopback. */
export function gatewayUrlOf(config: Config): string | null {
  const { host, port } = config.server;
  if (port === 0) return null;
  const reachable = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** `host:port` or a URL → a URL. */
function asUrl(addr: string): string {
  return /^https?:\/\//.test(addr) ? addr : `http://${addr}`;
}

export class AdminSession {
  constructor(readonly url: string, private readonly credential: AdminCredential) {}

  static async open(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<AdminSession> {
    let config: Config | null = null;
    if (flags.config) {
      const loaded = await loadConfigFile(flags.config);
      if (!loaded) throw new AdminCommandError(EXIT.usage, `${flags.config} is not a valid configuration`);
      config = loaded.config;
    }
    const addr = flags.url ?? flags.addr ?? env['S3O_ADMIN_ADDR'] ?? (config && gatewayUrlOf(config));
    if (!addr) {
      throw new AdminCommandError(EXIT.usage, config
        ? 'server.listen_addr has port 0; pass the gateway\'s address with --addr HOST:PORT'
        : 'no gateway address: pass --addr HOST:PORT, set S3O_ADMIN_ADDR, or pass --config FILE');
    }
    const accessKeyId = flags['access-key-id'] ?? env['S3O_ACCESS_KEY_ID'] ?? config?.auth.root?.accessKeyId;
    const secretAccessKey = flags['secret-access-key'] ?? env['S3O_SECRET_ACCESS_KEY'] ?? config?.auth.root?.secretAccessKey;
    if (!accessKeyId || !secretAccessKey) {
      throw new AdminCommandError(EXIT.usage, config && !config.auth.root
        ? `${flags.config} has no auth.root credential; the admin API needs it (or pass --access-key-id and --secret-access-key)`
        : 'no admin credential: pass --access-key-id and --secret-access-key, set S3O_ACCESS_KEY_ID and S3O_SECRET_ACCESS_KEY, or pass --config FILE');
    }
    return new AdminSession(asUrl(addr), { accessKeyId, secretAccessKey });
  }

  /** The JSON answer of a 2xx; anything else throws with its exit code. `accept` lists other statuses to return. */
  async call<T = any>(call: AdminCall, accept: number[] = []): Promise<{ status: number; body: T }> {
    let answer;
    try {
      answer = await callAdminApi(this.url, this.credential, call);
    } catch (err) {
      throw new AdminCommandError(EXIT.unavailable, `${this.url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if ((answer.status >= 200 && answer.status < 300) || accept.includes(answer.status)) return answer as { status: number; body: T };
    throw refusal(answer.status, answer.body);
  }

  async stream(call: AdminCall, onLine: (line: Record<string, unknown>) => void): Promise<Record<string, unknown> | null> {
    let answer;
    try {
      answer = await streamAdminApi(this.url, this.credential, call, onLine);
    } catch (err) {
      throw new AdminCommandError(EXIT.unavailable, `${this.url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!answer.streamed && !(answer.status >= 200 && answer.status < 300)) throw refusal(answer.status, answer.body);
    return answer.body as Record<string, unknown> | null;
  }
}

function refusal(status: number, body: unknown): AdminCommandError {
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  const text = error ? `${error.code}: ${error.message}` : JSON.stringify(body);
  return new AdminCommandError(status >= 500 || status === 0 ? EXIT.unavailable : EXIT.refused, `the gateway answered ${status} ${text}`);
}
