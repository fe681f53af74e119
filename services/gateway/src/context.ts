// What a request handler gets: the process-wide dependencies and this request's facts.
import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Config } from '@s3o/config';
import type {
  CleanupAdminLedger, CleanupLedger, DrainLedger, HoldingsLedger, IntentLedger, LostObjectLedger, MissingCopyLedger,
  MultipartLedger, NotificationLedger, ReadLedger, TaggingLedger, UsageLedger, WriteLedger,
} from '@s3o/store';
import type { BackendAvailability, BackendClient, ProcessAdmission, ProcessUsage } from '@s3o/backends';
import type { Logger } from '@s3o/telemetry';
import type { VerifiedRequest } from '@s3o/s3';
import type { S3Address } from './http/address.js';
import type { S3Action } from './http/classify.js';
import type { DegradedReader } from './degraded/degraded-reader.js';
import type { BodyTimeLimits } from './write/body-watchdog.js';
import type { MemoryBudget } from './traffic/memory-budget.js';

/**
 * The ledger roles the gateway uses: the S3 write, read, delete and multipart paths (a write
 * that outlived its intent owes its bytes through the cleanup queue; a read that finds a copy
 * gone reports it), and the admin API's drains, cleanup queue, verify, lost objects,
 * notification outbox and usage.
 */
export type GatewayLedger = IntentLedger & WriteLedger & TaggingLedger & ReadLedger & MultipartLedger & MissingCopyLedger & CleanupLedger &
  CleanupAdminLedger & DrainLedger & HoldingsLedger & LostObjectLedger & NotificationLedger & UsageLedger;

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
  /** false while the event bus cannot reach its broker (events wait in the outbox): /health says degraded. */
  busConnected?: () => boolean;
}

export interface RequestContext {
  deps: GatewayDeps;
  requestId: string;
  action: S3Action;
  req: IncomingMessage;
  reply: FastifyReply;
  addr: S3Address;
  auth: VerifiedRequest;
  /** the virtual bucket (null only for ListBuckets) */
  bucket: string | null;
  /** the object key, null for bucket operations */
  key: string | null;
  sourceIp: string | null;
  /** Whether the caller may use another virtual bucket (a copy's source). */
  mayUse(bucket: string): boolean;
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
