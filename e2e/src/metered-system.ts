// A system whose backends each sit behind a CountingProxy, so a test can compare what the
// orchestrator accounts for with what really reached each backend, with the admin API
// credential set so the test can read /admin/api/usage.
import { CountingProxy } from './counting-proxy.js';
import { S3RVER_CREDENTIALS, type ConfigTree, type Credential } from './config-text.js';
import { BACKEND_BUCKET, startSystem, type E2ESystem, type SystemMode } from './harness.js';
import { rawFetch } from './raw-request.js';

export const ADMIN_ROOT: Credential = { accessKeyId: 'e2e-admin-root', secretAccessKey: 'e2e-admin-root-secret-0123' };

export interface MeteredBackend {
  api_request_limit?: number;
  egress_byte_limit?: number;
  ingress_byte_limit?: number;
}

export interface MeteredSystem {
  sys: E2ESystem;
  /** one per backend, in config order (b1, b2, …) */
  proxies: CountingProxy[];
  stop(): Promise<void>;
}

export async function startMeteredSystem(options: {
  backends: MeteredBackend[];
  mode?: SystemMode;
  overrides?: ConfigTree;
}): Promise<MeteredSystem> {
  const proxies = await Promise.all(options.backends.map(() => CountingProxy.start()));
  let sys: E2ESystem;
  try {
    sys = await startSystem({
      ...(options.mode ? { mode: options.mode } : {}),
      backends: options.backends.map(() => ({})),
      overrides: {
        auth: { root: { access_key_id: ADMIN_ROOT.accessKeyId, secret_access_key: ADMIN_ROOT.secretAccessKey } },
        ...options.overrides,
        backends: options.backends.map((limits, i) => ({
          name: `b${i + 1}`,
          endpoint: proxies[i]!.url,
          region: 'us-east-1',
          bucket: BACKEND_BUCKET,
          access_key_id: S3RVER_CREDENTIALS.accessKeyId,
          secret_access_key: S3RVER_CREDENTIALS.secretAccessKey,
          force_path_style: true,
          quota_bytes: 0,
          ...limits,
        })),
      },
    });
  } catch (err) {
    await Promise.all(proxies.map((p) => p.stop()));
    throw err;
  }
  proxies.forEach((p, i) => p.setTarget(sys.backends[i]!.endpoint));
  return {
    sys,
    proxies,
    stop: async () => {
      try {
        await sys.stop();
      } finally {
        await Promise.all(proxies.map((p) => p.stop()));
      }
    },
  };
}

export interface AdminUsageRow {
  backend: string;
  period: string;
  api_requests: number;
  egress_bytes: number;
  ingress_bytes: number;
  effective: { api_requests: number; egress_bytes: number; ingress_bytes: number } | null;
  limits: { api_requests: number; egress_bytes: number; ingress_bytes: number };
  remaining: { api_requests: number | null; egress_bytes: number | null; ingress_bytes: number | null };
}

/** GET /admin/api/usage on one gateway, signed with the admin credential. */
export async function adminUsage(gatewayUrl: string, period?: string): Promise<AdminUsageRow[]> {
  const res = await rawFetch(gatewayUrl, {
    method: 'GET',
    path: '/admin/api/usage',
    ...(period ? { query: { period } } : {}),
    credentials: ADMIN_ROOT,
  });
  if (res.status !== 200) throw new Error(`GET /admin/api/usage answered ${res.status}: ${res.body}`);
  return (JSON.parse(res.body) as { usage: AdminUsageRow[] }).usage;
}
