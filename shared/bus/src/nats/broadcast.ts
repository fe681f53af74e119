// Events every process must see, not one replica of a service (docs/architecture.md §5
// "Identity propagation"): a plain NATS subscription to the event type's subject, next to the
// JetStream durables (whose deliveries replicas split). The relay's publish reaches the stream
// and every such subscriber alike. Plain subscriptions keep nothing while a process is away, so
// the listener is also told after every (re)connect: what it missed, it must re-read itself.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { EventTypeName } from '@s3o/events';
import type { Logger } from '@s3o/telemetry';
import { natsLayout } from './layout.js';
import { Alarm, backoffMs } from './wake.js';

export interface NatsBroadcastOptions {
  url: string | string[];
  subjectPrefix: string;
  type: EventTypeName;
  logger: Logger;
  /** between reconnect attempts; default 1 s */
  reconnectWaitMs?: number;
}

export class NatsBroadcast {
  private nc: NatsConnection | null = null;
  private readonly halt = new Alarm();
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(private readonly options: NatsBroadcastOptions) {}

  /** Calls `onEvent` for every event of the type published while connected, and once after each (re)connect. */
  start(onEvent: () => void): void {
    this.running ??= this.run(onEvent).catch((err: unknown) => this.options.logger.error({ err }, 'event broadcast listener stopped'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halt.wake();
    const nc = this.nc;
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
    await this.running;
  }

  private async run(onEvent: () => void): Promise<void> {
    const { logger, type } = this.options;
    // The service token only names durables, which this listener has none of.
    const subject = natsLayout({ stream: 'unused', subjectPrefix: this.options.subjectPrefix, service: 'broadcast' }).eventSubject(type);
    for (let failures = 1; !this.stopped; failures++) {
      try {
        this.nc = await connect({
          servers: this.options.url,
          name: `broadcast-${type}`,
          maxReconnectAttempts: -1,
          reconnectTimeWait: this.options.reconnectWaitMs ?? 1000,
        });
        // stop() may have run while connecting: it saw no connection to close.
        if (this.stopped) await this.nc.close().catch(() => undefined);
        break;
      } catch (err) {
        if (this.stopped) return;
        const delay = backoffMs(failures, 500, 10_000);
        logger.warn({ err, retryInMs: delay }, 'connecting the event broadcast listener failed; retrying');
        await this.halt.sleep(delay);
      }
    }
    const nc = this.nc;
    if (this.stopped || !nc) return;
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'reconnect') onEvent();
    })();
    const sub = nc.subscribe(subject);
    await nc.flush();
    onEvent();
    for await (const _msg of sub) onEvent();
  }
}
