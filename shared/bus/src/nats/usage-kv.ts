// The usage totals of distributed mode (docs/architecture.md §5 "KV bucket `<prefix>-usage`"): the usage
// service puts each backend's monthly total after every fold; every process watches the
// bucket, so each gateway enforces limits on the same figures within about a second.
// One key per backend and month; the value names the delta whose fold produced it, so the
// process that sent that delta stops counting it on its own.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import type { Logger } from '@s3o/telemetry';
import { Alarm, backoffMs } from './wake.js';

export interface UsageTotal {
  backend: string;
  /** `YYYY-MM` */
  period: string;
  requests: number;
  egress: number;
  ingress: number;
  /** the delta whose fold produced this total ('' when none) */
  deltaId: string;
}

export interface UsageTotalsKvOptions {
  url: string | string[];
  /** `<subject_prefix>-usage` */
  bucket: string;
  logger: Logger;
  /** called with every total put, including the latest of each key when watching starts */
  onTotal?: (total: UsageTotal) => void;
  /** between connection attempts and reconnects; default 1 s */
  reconnectWaitMs?: number;
  /** a put not answered within this fails; default 5 s */
  timeoutMs?: number;
}

/** Revisions kept per key: lets a watcher that fell behind still see the deltas folded meanwhile. */
const HISTORY = 16;

export function usageBucketName(subjectPrefix: string): string {
  return `${subjectPrefix}-usage`;
}

/** The key of one backend's month: KV keys are subject tokens, so the name is encoded. */
export function usageKey(backend: string, period: string): string {
  return `${Buffer.from(backend).toString('base64url')}.${period}`;
}

export class UsageTotalsKv {
  private nc: NatsConnection | null = null;
  private readonly kv: Promise<KV>;
  private resolveKv!: (kv: KV) => void;
  private readonly halt = new Alarm();
  private stopped = false;
  private watching: Promise<void> | null = null;

  constructor(private readonly options: UsageTotalsKvOptions) {
    this.kv = new Promise((resolve) => (this.resolveKv = resolve));
  }

  /** Connects in the background (retrying until NATS answers), then watches when `onTotal` is set. */
  start(): void {
    this.watching ??= this.run().catch((err: unknown) => this.options.logger.error({ err }, 'usage totals KV stopped'));
  }

  /** Puts a total; waits for the connection (at most timeoutMs). */
  async put(total: UsageTotal): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const kv = await Promise.race([
      this.kv,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the usage totals KV bucket is not reachable')), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    await kv.put(usageKey(total.backend, total.period), JSON.stringify(total));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halt.wake();
    const nc = this.nc;
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
    await this.watching;
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    for (let failures = 1; !this.stopped; failures++) {
      try {
        this.nc = await connect({
          servers: this.options.url,
          name: this.options.bucket,
          maxReconnectAttempts: -1,
          reconnectTimeWait: this.options.reconnectWaitMs ?? 1000,
          timeout: this.options.timeoutMs ?? 5000,
        });
        const kv = await new Kvm(this.nc).create(this.options.bucket, { history: HISTORY });
        this.resolveKv(kv);
        break;
      } catch (err) {
        if (this.nc && !this.nc.isClosed()) await this.nc.close().catch(() => undefined);
        this.nc = null;
        if (this.stopped) return;
        const delay = backoffMs(failures, 500, 10_000);
        logger.warn({ err, retryInMs: delay }, 'opening the usage totals KV bucket failed; retrying');
        await this.halt.sleep(delay);
      }
    }
    const onTotal = this.options.onTotal;
    if (this.stopped || !onTotal) return;
    const kv = await this.kv;
    // The watcher is an ordered consumer: it recreates itself across reconnects.
    const entries = await kv.watch({ key: '>' });
    for await (const entry of entries) {
      if (this.stopped) break;
      if (entry.operation !== 'PUT') continue;
      try {
        onTotal(parseTotal(entry.json()));
      } catch (err) {
        logger.warn({ err, key: entry.key }, 'ignoring a usage total that is not one');
      }
    }
  }
}

function parseTotal(value: unknown): UsageTotal {
  const v = value as Partial<UsageTotal>;
  const count = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (typeof v.backend !== 'string' || typeof v.period !== 'string' || !count(v.requests) || !count(v.egress) || !count(v.ingress)) {
    throw new TypeError('malformed usage total');
  }
  return { backend: v.backend, period: v.period, requests: v.requests!, egress: v.egress!, ingress: v.ingress!, deltaId: typeof v.deltaId === 'string' ? v.deltaId : '' };
}
