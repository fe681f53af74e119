// `s3-orchestrator init`: writes a commented starter configuration — one virtual bucket with a
// fresh credential, a fresh admin credential, one or more backends — from flags, asking for
// what is missing when run on a terminal (never when --yes or when stdin is not a terminal).
// The file is validated like any other before it is written, and never overwrites one
// without --force.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '@s3o/config';

export const INIT_USAGE = `    init [--output FILE] [--force] [--yes] [--mode single|distributed] [--listen HOST:PORT]
         [--bucket NAME] [--backend NAME=ENDPOINT/BUCKET]... [--quota SIZE] [--replication N]
         write a commented starter configuration (asks for what is missing on a terminal);
         credentials are generated; backend keys are read from \${<NAME>_ACCESS_KEY_ID} and
         \${<NAME>_SECRET_ACCESS_KEY} when the file is loaded
`;

interface Backend {
  name: string;
  endpoint: string;
  bucket: string;
}

export interface InitAnswers {
  mode: 'single' | 'distributed';
  listen: string;
  bucket: string;
  backends: Backend[];
  quota: string;
  replication: number;
}

const secret = () => randomBytes(24).toString('base64url');
const keyId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;
const envName = (backend: string) => backend.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** `b2=https://s3.us-west-000.backblazeb2.com/my-bucket` → a backend. */
function parseBackend(text: string): Backend {
  const m = /^([A-Za-z0-9_-]+)=(https?:\/\/[^/\s]+)\/([^/\s]+)$/.exec(text);
  if (!m) throw new Error(`--backend: expected NAME=ENDPOINT/BUCKET (e.g. b2=https://s3.example.com/my-bucket), got "${text}"`);
  return { name: m[1]!, endpoint: m[2]!, bucket: m[3]! };
}

/** The commented YAML of a starter configuration. */
export function starterConfig(a: InitAnswers): string {
  const bucketKey = keyId(a.bucket);
  const rootKey = keyId('admin');
  const database = a.mode === 'single'
    ? `database:
  # One process over SQLite (s3-orchestrator serve). For several processes, set host (Postgres).
  driver: sqlite
  path: ./s3o-data/s3o.db`
    : `database:
  # Postgres for the distributed mode (one process per service, NATS JetStream for events).
  host: \${S3O_DB_HOST:-127.0.0.1}
  port: 5432
  user: \${S3O_DB_USER:-s3o}
  password: \${S3O_DB_PASSWORD}
  database: s3o

bus:
  driver: nats
  url: \${S3O_NATS_URL:-nats://127.0.0.1:4222}`;
  const backends = a.backends.map((b) => `  - name: ${b.name}
    endpoint: "${b.endpoint}"
    bucket: ${b.bucket}
    region: us-east-1
    access_key_id: \${${envName(b.name)}_ACCESS_KEY_ID}
    secret_access_key: \${${envName(b.name)}_SECRET_ACCESS_KEY}
    quota_bytes: "${a.quota}"         # 0 = unlimited; writes go elsewhere when full`).join('\n');
  return `# s3-orchestrator configuration, written by \`s3-orchestrator init\`.
# Check it with \`s3-orchestrator validate --config FILE\`; every key, with its default, is
# described in shared/config/config.example.yaml of the repository.

server:
  listen_addr: "${a.listen}"

# Virtual buckets: what S3 clients see, each with its own credentials.
buckets:
  - name: ${a.bucket}
    credentials:
      - access_key_id: ${bucketKey}
        secret_access_key: ${secret()}

# The admin API (/admin/api/…) and \`s3-orchestrator admin\` sign with this credential.
auth:
  root:
    access_key_id: ${rootKey}
    secret_access_key: ${secret()}

${database}

# The providers that hold the bytes, in preference order (routing_strategy: pack).
backends:
${backends}

routing_strategy: pack

replication:
  factor: ${a.replication}                 # copies of every object, on distinct backends

logging:
  level: info
`;
}

async function ask(rl: ReturnType<typeof createInterface>, question: string, fallback: string): Promise<string> {
  const answer = (await rl.question(`${question} [${fallback}]: `)).trim();
  return answer === '' ? fallback : answer;
}

export async function runInitCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        output: { type: 'string', short: 'o', default: 's3-orchestrator.yaml' },
        force: { type: 'boolean', default: false },
        yes: { type: 'boolean', short: 'y', default: false },
        mode: { type: 'string' },
        listen: { type: 'string' },
        bucket: { type: 'string' },
        backend: { type: 'string', multiple: true },
        quota: { type: 'string' },
        replication: { type: 'string' },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`init: ${err instanceof Error ? err.message : String(err)}\n\nusage:\n${INIT_USAGE}`);
    return 2;
  }
  const output = values.output!;
  if (existsSync(output) && !values.force) {
    process.stderr.write(`init: ${output} exists; pass --force to replace it, or --output another file\n`);
    return 1;
  }
  const interactive = !values.yes && process.stdin.isTTY === true;
  const rl = interactive ? createInterface({ input: process.stdin, output: process.stderr }) : null;
  try {
    const pick = async (given: string | undefined, question: string, fallback: string) =>
      given ?? (rl ? ask(rl, question, fallback) : fallback);
    const mode = await pick(values.mode, 'run mode: single (one process, SQLite) or distributed (Postgres + NATS)', 'single');
    if (mode !== 'single' && mode !== 'distributed') throw new Error(`--mode: single or distributed, not "${mode}"`);
    const listen = await pick(values.listen, 'listen on', '0.0.0.0:9000');
    const bucket = await pick(values.bucket, 'virtual bucket name', 'files');
    let backends = (values.backend ?? []).map(parseBackend);
    if (backends.length === 0) {
      const first = await pick(undefined, 'first backend as NAME=ENDPOINT/BUCKET', 'local=http://127.0.0.1:9101/s3o');
      backends = [parseBackend(first)];
    }
    const quota = await pick(values.quota, 'quota per backend (e.g. 10GB, 0 = unlimited)', '10GB');
    const replication = Number(await pick(values.replication, `copies of every object (1-${backends.length})`, '1'));
    if (!Number.isInteger(replication) || replication < 1 || replication > backends.length) {
      throw new Error(`--replication: a whole number from 1 to ${backends.length} (the backends)`);
    }
    const text = starterConfig({ mode, listen, bucket, backends, quota, replication });
    // Checked as it will be loaded; the backend keys' variables are stand-ins here.
    const stand = Object.fromEntries(backends.flatMap((b) => [[`${envName(b.name)}_ACCESS_KEY_ID`, 'x'], [`${envName(b.name)}_SECRET_ACCESS_KEY`, 'x']]));
    parseConfig(text, { ...stand, S3O_DB_PASSWORD: 'x' });
    await writeFile(output, text, { mode: 0o600 });
    process.stdout.write(`wrote ${output} (readable by you only: it holds credentials)\n` +
      `next: export ${backends.map((b) => `${envName(b.name)}_ACCESS_KEY_ID=… ${envName(b.name)}_SECRET_ACCESS_KEY=…`).join(' ')}\n` +
      `      s3-orchestrator validate --config ${output} && s3-orchestrator ${mode === 'single' ? 'serve' : 'gateway'} --config ${output}\n`);
    return 0;
  } catch (err) {
    const message = err instanceof ConfigError ? err.problems.join('; ') : err instanceof Error ? err.message : String(err);
    process.stderr.write(`init: ${message}\n`);
    return 1;
  } finally {
    rl?.close();
  }
}
