// Configuration of an orchestrator under a crash test: SQLite ledger in the test's own
// directory, short reaper/cleanup intervals so recovery happens within a test run.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

export const BUCKET = 'crashes';
export const CLIENT_KEY = 'crash-ak';
export const CLIENT_SECRET = 'crash-sk';
export const BACKEND_BUCKET = 'store';
/** write_path.pending_pattern of every crash test: intents silent this long are the reaper's. */
export const MIN_AGE_MS = 2_000;
export const REAPER_TICK_MS = 500;

export interface CrashConfigFiles {
  configPath: string;
  dbPath: string;
}

export async function writeCrashConfig(
  dir: string,
  backends: Array<{ name: string; endpoint: string }>,
  server: Record<string, unknown> = {},
  /** further top-level sections (config.yaml key names) */
  extra: Record<string, unknown> = {},
): Promise<CrashConfigFiles> {
  const configPath = join(dir, 'config.yaml');
  const dbPath = join(dir, 'ledger.db');
  await writeFile(configPath, JSON.stringify({
    server: { listen_addr: '127.0.0.1:0', ...server },
    auth: { root: { access_key_id: 'crash-root', secret_access_key: 'crash-root-secret' } },
    buckets: [{ name: BUCKET, credentials: [{ access_key_id: CLIENT_KEY, secret_access_key: CLIENT_SECRET }] }],
    database: { driver: 'sqlite', path: dbPath },
    backends: backends.map((b) => ({
      name: b.name,
      endpoint: b.endpoint,
      bucket: BACKEND_BUCKET,
      access_key_id: 'S3RVER',
      secret_access_key: 'S3RVER',
      force_path_style: true,
    })),
    write_path: { pending_pattern: { reaper_tick: `${REAPER_TICK_MS}ms`, min_age: `${MIN_AGE_MS}ms`, heartbeat: '500ms' } },
    cleanup_queue: { tick: '300ms', backoff_base: '200ms', backoff_max: '1s', max_attempts: 1000, confirm_delay: '1s' },
    logging: { level: 'info' },
    ...extra,
  }));
  return { configPath, dbPath };
}

export function s3Client(url: string): S3Client {
  return new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: CLIENT_KEY, secretAccessKey: CLIENT_SECRET },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}
