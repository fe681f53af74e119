// The fleet as the process heartbeats show it (process_heartbeats, written by every process
// every few seconds: @s3o/workers heartbeat.ts): the services seen and their workers' records.
// This process's own workers are read live from its registry instead of its last heartbeat.
import { HEARTBEAT_SEEN_WITHIN_MS, processIdOf, type WorkerRecord } from '@s3o/workers';
import type { GatewayDeps } from '../context.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface SeenProcess {
  process_id: string;
  service: string;
  host: string;
  pid: number;
  version: string;
  started_at: string | null;
  uptime_seconds: number;
  last_seen: string | null;
  /** this is the process that answered */
  self: boolean;
  workers: WorkerRecord[];
}

export async function fleet(deps: GatewayDeps): Promise<SeenProcess[]> {
  const me = deps.operator?.process;
  const myId = me ? processIdOf(me) : null;
  const now = Date.now();
  const seen: SeenProcess[] = (await deps.ledger.listHeartbeats(now - HEARTBEAT_SEEN_WITHIN_MS)).map((h) => ({
    process_id: h.processId,
    service: h.service,
    host: h.host,
    pid: h.pid,
    version: h.version,
    started_at: iso(h.startedAt),
    uptime_seconds: Math.round((now - h.startedAt) / 1000),
    last_seen: iso(h.seenAt),
    self: h.processId === myId,
    workers: h.processId === myId && deps.operator ? deps.operator.workers.list() : (h.workers as WorkerRecord[]),
  }));
  // Before its first heartbeat lands, this process still lists itself.
  if (me && myId && deps.operator && !seen.some((p) => p.self)) {
    seen.push({
      process_id: myId, service: me.service, host: me.host, pid: me.pid, version: me.version, started_at: iso(me.startedAt),
      uptime_seconds: Math.round((now - me.startedAt) / 1000), last_seen: iso(now), self: true, workers: deps.operator.workers.list(),
    });
  }
  return seen;
}

/** The services seen, without their workers (status). */
export async function servicesSeen(deps: GatewayDeps): Promise<Array<Omit<SeenProcess, 'workers'>>> {
  return (await fleet(deps)).map(({ workers: _workers, ...rest }) => rest);
}
