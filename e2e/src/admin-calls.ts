// Calls to the admin API (`/admin/api/…`), signed with SigV4 by a credential (the root one
// unless a test wants to be refused), answered as JSON.
import type { Credential } from './config-text.js';
import { rawFetch } from './raw-request.js';

/** The root credential tests configure (auth.root) when they use the admin API. */
export const ADMIN_ROOT: Credential = { accessKeyId: 'e2e-root', secretAccessKey: 'e2e-root-secret-0123456789' };

/** The config overrides that turn the admin API on with ADMIN_ROOT. */
export const ADMIN_AUTH_OVERRIDES = {
  auth: { root: { access_key_id: ADMIN_ROOT.accessKeyId, secret_access_key: ADMIN_ROOT.secretAccessKey } },
};

export interface AdminReply {
  status: number;
  body: any;
}

/** `path` below /admin/api (e.g. `backends/b1/drain`); `credentials: null` sends it unsigned; `body` goes as JSON. */
export async function adminCall(
  baseUrl: string,
  method: string,
  path: string,
  options: { query?: Record<string, string>; credentials?: Credential | null; body?: unknown } = {},
): Promise<AdminReply> {
  const credentials = options.credentials === undefined ? ADMIN_ROOT : options.credentials ?? undefined;
  const json = options.body === undefined ? {} : { body: JSON.stringify(options.body), headers: { 'content-type': 'application/json' } };
  const res = await rawFetch(baseUrl, { method, path: `/admin/api/${path}`, query: options.query, credentials, ...json });
  return { status: res.status, body: res.body === '' ? null : JSON.parse(res.body) };
}
