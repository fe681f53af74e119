// What a request handler gets: the process-wide dependencies and this request's facts.
import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Config } from '@s3o/config';
import type {
  CleanupAdminLedger, CleanupLedger, DrainLedger, FleetLedger, HoldingsLedger, IdentityLedger, IntentLedger, LostObjectLedger,
  MissingCopyLedger, MultipartLedger, ScrubLedger, NotificationLedger, ReadLedger, TaggingLedger, UsageLedger, WriteLedger,
} from '@s3o/store';
import type { IdentityRefresher, SecretSealer } from '@s3o/identity';
import type { BackendAvailability, BackendBreakers, BackendClient, ProcessAdmission, ProcessUsage } from '@s3o/backends';
import type { Logger, LogRing } from '@s3o/telemetry';
import type { ProcessIdentity, WorkerRegistry } from '@s3o/workers';
import type { VerifiedRequest } from '@s3o/s3';
import type { S3Address } from './http/address.js';
import type { S3Action } from './http/classify.js';
import type { DegradedReader } from './degraded/degraded-reader.js';
import type { BodyTimeLimits } from './write/body-watchdog.js';
import type { MemoryBudget } from './traffic/memory-budget.js';
import type { Principal } from './authorize.js';
import type { KeySource } from '@s3o/crypto';

/**
 * The ledger roles the gateway uses: the S3 write, read, delete and multipart paths (a write
 * that outlived its intent owes its bytes through the cleanup queue; a read that finds a copy
 * gone reports it), and the admin API's drains, cleanup queue, verify, lost objects,
 * notification outbox and usage; provisioning (users, credentials, grants, stored buckets).
 */
export type GatewayLedger = IntentLedger & WriteLedger & TaggingLedger & ReadLedger & MultipartLedger & MissingCopyLedger & ScrubLedger & CleanupLedger &
  CleanupAdminLedger & DrainLedger & HoldingsLedger & LostObjectLedger & NotificationLedger & UsageLedger & IdentityLedger & FleetLedger;

export interface GatewayDeps {
  config: Config;
  ledger: GatewayLedger;
  backends: Map<string, BackendClient>;
  /** Which backends may be used right now (breakers, usage limits); every backend when absent. */
  availability?: BackendAvailability;
  /** The process's usage figures and limits (admin API, metrics); absent in tests that do not meter. */
  usage?: ProcessUsage;
  /** The process's concurrency budgets; no admission control when absent. */
  admission?: ProcessAdmission;
  logger: Logger;
  /** The master keys (encryption.*): new objects are encrypted when encryption.enabled; null or absent = none configured. */
  keys?: KeySource | null;
  /** false while the event bus cannot reach its broker (events wait in the outbox): /health says degraded. */
  busConnected?: () => boolean;
  /** The config file's path, named when the admin API refuses to change one of its entries. */
  configPath?: string;
  /** How stored secrets are sealed; the plain sealer (docs/security.md) when absent. */
  sealer?: SecretSealer;
  /**
   * Tells `rebuild` of every identity.changed (and of a reconnect, when events may have been
   * missed); returns the unsubscription. Wired by the composition root from the process's bus
   * (docs/architecture.md §5 "Identity propagation"); absent, the registry is rebuilt on the
   * changes this gateway makes and on its timer only.
   */
  identityChanges?: (rebuild: () => void) => () => void;
  /** What the operator endpoints read of this process beyond the ledger; absent in tests that do not need them. */
  operator?: OperatorSurface;
}

/** This process as the admin API's status, workers, logs and jobs endpoints see it. */
export interface OperatorSurface {
  /** the process's root logger: PUT /admin/api/log-level changes its level, and every child follows */
  rootLogger: Logger;
  /** the lines the root logger wrote lately */
  logs: LogRing;
  /** the periodic workers running in this process */
  workers: WorkerRegistry;
  /** the process's backend circuit breakers; null when backend_circuit_breaker is off */
  breakers: BackendBreakers | null;
  /** who this process is */
  process: ProcessIdentity;
  /** re-reading the configuration file; absent when the process was started without one */
  reload?: ConfigReload;
}

/** Re-reading the configuration file in this process (docs/architecture.md §7 "Reloading"). */
export interface ConfigReload {
  /** Re-reads, validates and applies the file; an invalid file changes nothing. */
  reload(trigger: string): Promise<ReloadStatus>;
  /** The last reload's outcome; null before the first. */
  status(): ReloadStatus | null;
  /** the keys a reload applies live; every other key needs a restart */
  readonly liveKeys: readonly string[];
  /** the sections that still take a restart, each with why */
  readonly restartOnly: Readonly<Record<string, string>>;
}

export interface ReloadStatus {
  /** ISO time of the attempt */
  at: string;
  /** what asked for it: SIGHUP, the admin API, a gateway's --all */
  trigger: string;
  ok: boolean;
  /** why the file was refused (each problem naming its key); null when ok */
  error: string | null;
  /** key paths whose value differs from the running configuration */
  changed: string[];
  /** of those, the ones this process applied */
  applied: string[];
  /** of those, the ones that take effect only after a restart */
  restart_needed: string[];
}

export interface RequestContext {
  deps: GatewayDeps;
  requestId: string;
  action: S3Action;
  req: IncomingMessage;
  reply: FastifyReply;
  addr: S3Address;
  auth: VerifiedRequest;
  /** who signed the request: the user holding the access key */
  principal: Principal;
  /** the process's identity registry (current()), rebuilt after a provisioning change */
  identity: IdentityRefresher;
  /** the virtual bucket (null only for ListBuckets) */
  bucket: string | null;
  /** the object key, null for bucket operations */
  key: string | null;
  sourceIp: string | null;
  /** Finds objects on the backends when the ledger cannot be reached (GET/HEAD only). */
  degraded: DegradedReader;
  /** The process's limits on reading request bodies (docs/security.md). */
  guards: BodyGuards;
}

/** What reading a request body is bounded by: its idle time and rate, and the process's memory budget. */
export interface BodyGuards {
  time: BodyTimeLimits;
  memory: MemoryBudget;
}

/** The bucket and key of an object-level action (the router guarantees both). */
export function objectTarget(ctx: RequestContext): { bucket: string; key: string } {
  if (ctx.bucket === null || ctx.key === null) throw new Error(`${ctx.action} needs a bucket and a key`);
  return { bucket: ctx.bucket, key: ctx.key };
}

export function bucketTarget(ctx: RequestContext): string {
  if (ctx.bucket === null) throw new Error(`${ctx.action} needs a bucket`);
  return ctx.bucket;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}
