// The S3 backends the benchmark runs against, each started fresh in a process of its own:
// the sink (as fast as an S3 server can be: the gateway's own ceiling) and s3rver (a real,
// disk-backed S3 implementation, much slower: what a slow backend hides).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startS3rver } from '@s3o/demo-backends';
import type { BackendUnderTest } from './modes/mode.js';
import { startSink } from './sink/process.js';

export type BackendKind = 'sink' | 's3rver';

export const BACKEND_KINDS: readonly BackendKind[] = ['sink', 's3rver'];

export interface RunningBackend extends BackendUnderTest {
  kind: BackendKind;
  stop(): Promise<void>;
}

const DATA_BUCKET = 'bench-data';
/** s3rver's fixed credentials; the sink checks none, so the same pair serves both. */
const BACKEND_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export const BACKEND_DESCRIPTIONS: Record<BackendKind, string> = {
  sink: 'sink: minimal S3 server of this benchmark (MD5 of every body, no storage, pattern bytes on GET), own process',
  s3rver: 's3rver 3.7.1 (files on local disk), own process',
};

export async function startBackend(kind: BackendKind, workDir: string): Promise<RunningBackend> {
  const common = { kind, name: kind, bucket: DATA_BUCKET, credentials: BACKEND_CREDENTIALS };
  if (kind === 'sink') {
    const sink = await startSink();
    return { ...common, endpoint: sink.endpoint, pid: sink.pid, stop: () => sink.stop() };
  }
  const dir = join(workDir, 's3rver-data');
  await mkdir(dir, { recursive: true });
  const s3rver = await startS3rver({ dir, buckets: [DATA_BUCKET], port: 0 });
  return { ...common, endpoint: s3rver.endpoint, pid: s3rver.pid, stop: () => s3rver.stop() };
}
