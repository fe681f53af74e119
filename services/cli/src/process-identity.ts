// Who this process is, for the admin API's status and the fleet heartbeats: its service (or
// `serve`), the orchestrator's version, host, pid and start time.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ProcessIdentity } from '@s3o/workers';

/** The version of the `s3-orchestrator` package this process runs (services/cli/package.json). */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function processIdentity(service: string): ProcessIdentity {
  return { service, version: VERSION, host: hostname(), pid: process.pid, startedAt: Date.now() };
}
