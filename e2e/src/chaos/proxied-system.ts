// A system whose three backends each sit behind a FaultProxy: the gateway (and in
// distributed mode every service) reaches backend i only through proxies[i], so a test or a
// chaos run can cut, slow or corrupt that path while the s3rver behind it stays as it is.
import { ADMIN_AUTH_OVERRIDES } from '../admin-calls.js';
import { S3RVER_CREDENTIALS, type ConfigTree } from '../config-text.js';
import { BACKEND_BUCKET, startSystem, type E2ESystem, type SystemMode } from '../harness.js';
import { FaultProxy } from './fault-proxy.js';
import type { Prng } from './prng.js';
import type { NatsChoice } from '../distributed/cluster.js';

export interface ProxiedSystem {
  sys: E2ESystem;
  /** one per backend, in config order (b1, b2, b3) */
  proxies: FaultProxy[];
  stop(): Promise<void>;
}

export interface ProxiedSystemOptions {
  mode: SystemMode;
  overrides: ConfigTree;
  rng: Prng;
  routing?: 'pack' | 'spread';
  /** distributed mode: NATS server choice and Postgres admin URL (see SystemOptions) */
  nats?: NatsChoice;
  postgresUrl?: string;
}

export async function startProxiedSystem(options: ProxiedSystemOptions): Promise<ProxiedSystem> {
  const proxies: FaultProxy[] = [];
  try {
    for (let i = 0; i < 3; i++) proxies.push(await FaultProxy.start(null, options.rng.fork(100 + i)));
    const sys = await startSystem({
      mode: options.mode,
      routing: options.routing ?? 'spread',
      ...(options.nats ? { nats: options.nats } : {}),
      ...(options.postgresUrl ? { postgresUrl: options.postgresUrl } : {}),
      backends: proxies.map(() => ({})),
      overrides: {
        ...ADMIN_AUTH_OVERRIDES,
        ...options.overrides,
        backends: proxies.map((p, i) => ({
          name: `b${i + 1}`, endpoint: p.url, region: 'us-east-1', bucket: BACKEND_BUCKET,
          access_key_id: S3RVER_CREDENTIALS.accessKeyId, secret_access_key: S3RVER_CREDENTIALS.secretAccessKey,
          force_path_style: true, quota_bytes: 0,
        })),
      },
    });
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
  } catch (err) {
    await Promise.all(proxies.map((p) => p.stop()));
    throw err;
  }
}
