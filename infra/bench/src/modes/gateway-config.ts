// The configuration file of a gateway under test. The text is validated with the
// gateway's own parser before it is written, so a mistake here fails with the parser's
// message instead of a child process that never becomes ready.
import { parseConfig, type Config } from '@s3o/config';
import type { BackendUnderTest, VirtualBucket } from './mode.js';

/** A Postgres database and a JetStream stream (distributed mode) instead of SQLite. */
export interface DistributedStores {
  postgres: { host: string; port: number; user: string; password: string | null; name: string };
  nats: { url: string; stream: string; subjectPrefix: string };
}

export interface GatewayConfigInput {
  port: number;
  /** the SQLite ledger's file; ignored when `postgres` or `distributed` is given */
  databasePath: string;
  /** a Postgres ledger (and, as validation requires with Postgres, a NATS bus) instead of SQLite */
  postgres?: PostgresLedgerConfig | null;
  /** distributed mode: the services share this database and bus */
  distributed?: DistributedStores;
  backend: BackendUnderTest;
  buckets: VirtualBucket[];
  /** tracing on, every trace sampled, exported here; null = off */
  tracingEndpoint?: string | null;
  /** encryption at rest on, with a fixed key: the benchmark measures its cost, not its secrecy */
  encryption?: boolean;
  /** integrity on (docs/architecture.md §4 "Integrity"): its hashing is part of what is measured */
  integrity?: boolean;
}

export interface PostgresLedgerConfig {
  host: string;
  port: number;
  user: string;
  password: string | null;
  /** a database of the run's own */
  name: string;
  natsUrl: string;
  /** a JetStream stream and subject prefix of the run's own */
  stream: string;
  subjectPrefix: string;
}

const BENCH_MASTER_KEY = Buffer.alloc(32, 0x42).toString('base64');

/** JSON strings are valid YAML scalars and need no further escaping. */
const q = (value: string): string => JSON.stringify(value);

export function gatewayConfigYaml(input: GatewayConfigInput): { yaml: string; config: Config } {
  const { backend } = input;
  const buckets = input.buckets
    .map((b) => [
      `  - name: ${q(b.name)}`,
      `    credentials:`,
      `      - access_key_id: ${q(b.credentials.accessKeyId)}`,
      `        secret_access_key: ${q(b.credentials.secretAccessKey)}`,
    ].join('\n'))
    .join('\n');
  const yaml = `# Written by the benchmark (infra/bench); one backend, so every write lands on it.
server:
  listen_addr: ${q(`127.0.0.1:${input.port}`)}
  max_object_size: 5GiB
buckets:
${buckets}
${databaseYaml(input)}backends:
  - name: ${q(backend.name)}
    endpoint: ${q(backend.endpoint)}
    bucket: ${q(backend.bucket)}
    access_key_id: ${q(backend.credentials.accessKeyId)}
    secret_access_key: ${q(backend.credentials.secretAccessKey)}
    quota_bytes: 0
logging:
  level: warn
${input.encryption ? `encryption:
  enabled: true
  key_id: bench
  master_key: ${q(BENCH_MASTER_KEY)}
` : ''}${input.integrity ? `integrity:
  enabled: true
` : ''}${input.tracingEndpoint ? `telemetry:
  tracing:
    enabled: true
    endpoint: ${q(input.tracingEndpoint)}
    sample_rate: 1
` : ''}`;
  const { config } = parseConfig(yaml, {});
  return { yaml, config };
}

function storesOf(pg: PostgresLedgerConfig): DistributedStores {
  const { natsUrl, stream, subjectPrefix, ...postgres } = pg;
  return { postgres, nats: { url: natsUrl, stream, subjectPrefix } };
}

function databaseYaml(input: GatewayConfigInput): string {
  const d = input.distributed ?? (input.postgres ? storesOf(input.postgres) : undefined);
  if (!d) return `database:\n  driver: sqlite\n  path: ${q(input.databasePath)}\n`;
  const pg = d.postgres;
  return `database:
  driver: postgres
  host: ${q(pg.host)}
  port: ${pg.port}
  user: ${q(pg.user)}
${pg.password !== null ? `  password: ${q(pg.password)}\n` : ''}  name: ${q(pg.name)}
  ssl_mode: disable
bus:
  driver: nats
  url: ${q(d.nats.url)}
  stream: ${q(d.nats.stream)}
  subject_prefix: ${q(d.nats.subjectPrefix)}
`;
}
