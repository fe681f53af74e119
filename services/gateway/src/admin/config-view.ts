// The running configuration, for operators:
//   GET config   every section as this process runs it (after defaults, ${VAR} expansion and
//                any reload), secrets replaced by "<redacted>"; the keys a reload applies live,
//                the sections that still take a restart (with why) and the last reload's outcome.
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../context.js';
import { sendJson } from './respond.js';

export const REDACTED = '<redacted>';

/** Names of values that are secrets, wherever they appear (credentials, passwords, tokens, keys). */
const SECRET_NAME = /secret|password|token|passphrase|private|signing/i;


/** A JSON copy of `value` with every secret replaced; Maps, Sets and URLs with credentials handled. */
export function redact(value: unknown, name = ''): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') {
    if (name !== '' && SECRET_NAME.test(name) && value !== '') return REDACTED;
    // A URL with credentials in it (postgres://user:pw@host, nats://user:pw@host).
    return value.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@/\s]+@/gi, `$1${REDACTED}@`);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return undefined;
  if (Buffer.isBuffer(value)) return REDACTED;
  if (value instanceof RegExp) return value.source;
  if (value instanceof Map) return redact(Object.fromEntries(value), name);
  if (value instanceof Set || Array.isArray(value)) return [...value].map((v) => redact(v, name));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_NAME.test(k) && v !== null && v !== '' && (typeof v !== 'object' || Buffer.isBuffer(v))) {
      out[k] = REDACTED;
      continue;
    }
    const r = redact(v, k);
    if (r !== undefined) out[k] = r;
  }
  return out;
}

export function registerConfigRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/config', async (_request, reply) => {
    const reload = deps.operator?.reload;
    return sendJson(reply, 200, {
      config: redact(deps.config),
      reloadable: reload !== undefined,
      live_keys: reload?.liveKeys ?? [],
      restart_only: reload?.restartOnly ?? {},
      last_reload: reload?.status() ?? null,
    });
  });
}
