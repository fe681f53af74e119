// A "mode" is one way of running the gateway under test. Scenarios and reports only see
// this interface, so adding the distributed mode (Postgres + NATS, services in processes
// of their own, modes/distributed.ts) is one more implementation of GatewayMode.
import type { HopRuntime } from '../node-runtime.js';
import type { Credentials } from '../s3-client.js';
import type { IdentityLoad, IdentitySeedReport } from './seed-identity.js';

/** One S3 backend the gateway writes to, as the benchmark started it. */
export interface BackendUnderTest {
  /** backend name in the gateway's config */
  name: string;
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** the bucket on the backend that holds the data */
  bucket: string;
  credentials: Credentials;
  /** the backend's process, for its CPU time */
  pid: number;
}

/** A bucket the gateway's clients see, with its one credential. */
export interface VirtualBucket {
  name: string;
  credentials: Credentials;
}

export interface GatewayStartOptions {
  /** a fresh directory this gateway may use for its files */
  workDir: string;
  backend: BackendUnderTest;
  /** where the scenarios' objects go */
  objectsBucket: VirtualBucket;
  /** listed by the LIST scenario; seeded with `listingObjects` objects before the gateway starts */
  listingBucket: VirtualBucket;
  /** 0 = leave the listing bucket empty */
  listingObjects: number;
  /** extra node flags for the process that serves S3 (e.g. --cpu-prof) */
  nodeFlags: string[];
  /** tracing on, every trace sampled, exported to this OTLP/HTTP endpoint; null = tracing off */
  tracingEndpoint: string | null;
  /** users and grants loaded into the ledger before the gateway starts; null = none */
  identityLoad: IdentityLoad | null;
  /** encryption at rest on (a fixed benchmark key) */
  encryption: boolean;
  /** integrity on: SHA-256 of the plaintext recorded at write and checked on whole reads */
  integrity?: boolean;
  /** the Node that runs the gateway; null = the benchmark's own */
  runtime?: HopRuntime | null;
}

export interface SeedReport {
  objects: number;
  seconds: number;
  /** how the objects got into the ledger, for the report */
  method: string;
}

export interface RunningGateway {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** the process that serves S3 requests: its RSS is the figure the memory target is about */
  pid: number;
  /** every gateway that serves S3 (`url` is the first); the clients spread their requests over them. Absent: `[url]` */
  urls?: string[];
  /**
   * Processes besides `pid` whose CPU counts as the gateway side's (distributed mode: the
   * other gateways, the other services, the database's server processes), asked before each
   * measured slice. Absent: none.
   */
  extraCpuPids?(): Promise<number[]>;
  seed: SeedReport | null;
  /** what `identityLoad` put into the ledger */
  identitySeed: IdentitySeedReport | null;
  stop(): Promise<void>;
}

export interface GatewayMode {
  /** `single-process`, `distributed-2` (two gateways) */
  name: string;
  /** one line for the report */
  description: string;
  start(options: GatewayStartOptions): Promise<RunningGateway>;
}
