// The processes of the fleet (process_heartbeats): each process writes its own row every few
// seconds with its workers' outcome records, so any gateway can list every service running,
// its version and uptime, and every periodic job's record, in both run modes. And the passes
// an operator asked a gateway for that run in another process (job_runs).

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

/** requested → running (claimed by the process that runs the worker) → finished; or unclaimed (withdrawn by the asker). */
export type JobRunState = 'requested' | 'running' | 'finished' | 'unclaimed';

/** One pass asked for through a gateway and run by another process. Times are epoch ms. */
export interface JobRun {
  id: string;
  /** the job as the operator named it (`replicate`) */
  job: string;
  /** the periodic worker that runs it (`replication-sweep`) */
  worker: string;
  state: JobRunState;
  requestedAt: number;
  claimedBy: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** the worker's RunResult as JSON (errors as their message) */
  outcome: unknown;
  /** what the operator asked the pass with (the scrubber's `key`, `backend`); null: nothing */
  params: Record<string, string> | null;
}

export interface FleetReads {
  /** Heartbeats seen after `seenAfter`, by (service, process id). */
  selectHeartbeats(seenAfter: number): Promise<ProcessHeartbeat[]>;
  selectJobRun(id: string): Promise<JobRun | null>;
  /** Whether a run of one of `workers` waits to be claimed (a read, so idle polling takes no write lock). */
  hasRequestedJobRun(workers: string[]): Promise<boolean>;
}

export interface FleetWrites {
  upsertHeartbeat(heartbeat: ProcessHeartbeat): Promise<void>;
  /** Forget processes not seen since `seenBefore`. */
  deleteHeartbeatsBefore(seenBefore: number): Promise<void>;
  insertJobRun(run: { id: string; job: string; worker: string; requestedAt: number; params?: Record<string, string> | undefined }): Promise<void>;
  /** Forget runs finished (or withdrawn) before `before`. */
  deleteJobRunsBefore(before: number): Promise<void>;
  /** The oldest requested run of one of `workers`, now running, claimed by `claimedBy`; null when none waits. */
  claimJobRun(workers: string[], claimedBy: string, now: number): Promise<JobRun | null>;
  finishJobRun(id: string, outcome: unknown, now: number): Promise<void>;
  /** requested → unclaimed; false when a process claimed it first. */
  withdrawJobRun(id: string, now: number): Promise<boolean>;
}

export interface FleetLedger {
  /** Write this process's heartbeat (seen now) and forget processes silent for longer than `forgetAfterMs`. */
  recordHeartbeat(heartbeat: Omit<ProcessHeartbeat, 'seenAt'>, forgetAfterMs: number): Promise<void>;
  /** Processes seen after `seenAfter` (epoch ms), by (service, process id). */
  listHeartbeats(seenAfter: number): Promise<ProcessHeartbeat[]>;
  /** Ask for a pass of `worker` in whichever process runs it (runs finished a day ago are forgotten). */
  requestJobRun(run: { id: string; job: string; worker: string; params?: Record<string, string> | undefined }): Promise<void>;
  /** A process that runs one of `workers` takes the oldest request for them; null when none waits. */
  claimJobRun(workers: string[], claimedBy: string): Promise<JobRun | null>;
  finishJobRun(id: string, outcome: unknown): Promise<void>;
  /** The asker gives up on a request no process claimed; false when one claimed it meanwhile. */
  withdrawJobRun(id: string): Promise<boolean>;
  getJobRun(id: string): Promise<JobRun | null>;
}
