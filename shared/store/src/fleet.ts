// The processes of the fleet (process_heartbeats): each process writes its own row every few
// seconds with its workers' outcome records, so any gateway can list every service running,
// its version and uptime, and every periodic job's record, in both run modes.

/** What one process said about itself in its last heartbeat. Times are epoch ms. */
export interface ProcessHeartbeat {
  /** unique per process start: `${service}@${host}:${pid}:${startedAt}` */
  processId: string;
  /** `serve` (every service) or the one service */
  service: string;
  host: string;
  pid: number;
  version: string;
  startedAt: number;
  seenAt: number;
  /** the process's WorkerRecords, as JSON values */
  workers: unknown[];
}

export interface FleetReads {
  /** Heartbeats seen after `seenAfter`, by (service, process id). */
  selectHeartbeats(seenAfter: number): Promise<ProcessHeartbeat[]>;
}

export interface FleetWrites {
  upsertHeartbeat(heartbeat: ProcessHeartbeat): Promise<void>;
  /** Forget processes not seen since `seenBefore`. */
  deleteHeartbeatsBefore(seenBefore: number): Promise<void>;
}

export interface FleetLedger {
  /** Write this process's heartbeat (seen now) and forget processes silent for longer than `forgetAfterMs`. */
  recordHeartbeat(heartbeat: Omit<ProcessHeartbeat, 'seenAt'>, forgetAfterMs: number): Promise<void>;
  /** Processes seen after `seenAfter` (epoch ms), by (service, process id). */
  listHeartbeats(seenAfter: number): Promise<ProcessHeartbeat[]>;
}
