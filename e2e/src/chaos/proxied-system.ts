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
  /** distributed mode: between the services and NATS (a partition cuts every service off the bus) */
  natsProxy: FaultProxy | null;
  /** distributed mode: one per gateway, in front of it for the clients; retargeted when a gateway restarts on a new port */
  gatewayProxies: FaultProxy[];
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
  const gatewayProxies: FaultProxy[] = [];
  let natsProxy: FaultProxy | null = null;
  const all = () => [...proxies, ...gatewayProxies, ...(natsProxy ? [natsProxy] : [])];
  try {
    for (let i = 0; i < 3; i++) proxies.push(await FaultProxy.start(null, options.rng.fork(100 + i)));
    const sys = await startSystem({
      ...(options.mode === 'distributed' ? {
        natsFront: async (url: string) => {
          natsProxy = await FaultProxy.start(url, options.rng.fork(110));
          return natsProxy.url.replace(/^http:/, 'nats:');
        },
        gatewayFront: async (url: string, i: number) => {
          const front = await FaultProxy.start(url, options.rng.fork(120 + i));
          gatewayProxies[i] = front;
          return front.url;
        },
      } : {}),
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
      natsProxy,
      gatewayProxies,
      stop: async () => {
        try {
          await sys.stop();
        } finally {
          await Promise.all(all().map((p) => p.stop()));
        }
      },
    };
  } catch (err) {
    await Promise.all(all().map((p) => p.stop()));
    throw err;
  }
}
