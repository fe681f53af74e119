// Keeps a process's registry current (docs/architecture.md §5 "Identity propagation"): rebuilt
// from the ledger when told (an identity.changed event, a reconnect of the bus, a change this
// process made) and on a slow timer as a safety net. Rebuilds never overlap: asking while one
// runs schedules exactly one more, so a change committed during a rebuild is never missed.
// A failed rebuild keeps the registry it had. Last-used times noted per request are written
// on the timer, in one transaction, so a request never waits on the database for them.
import type { IdentityStore } from '@s3o/store';
import { IdentityRegistry, type IdentityConfig } from './registry.js';
import { openSecrets, type SecretSealer } from './sealer.js';

export interface RefresherLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface IdentityRefresherOptions {
  config: IdentityConfig;
  identity: Pick<IdentityStore, 'snapshot' | 'touchCredentials'>;
  sealer: SecretSealer;
  logger: RefresherLogger;
  /** the safety-net rebuild; default 30 s */
  intervalMs?: number;
}

export const DEFAULT_REFRESH_INTERVAL_MS = 30_000;

export class IdentityRefresher {
  private current: IdentityRegistry;
  private running: Promise<void> | null = null;
  private again: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly used = new Map<string, number>();
  private lastProblems = '';
  private config: IdentityConfig;
  /** the ledger's part of the last rebuild, so a new configuration applies without the database */
  private lastSnapshot: Awaited<ReturnType<IdentityRefresherOptions['identity']['snapshot']>> | null = null;
  private lastSecrets: ReadonlyMap<string, string | Error> = new Map();

  constructor(private readonly options: IdentityRefresherOptions) {
    this.config = options.config;
    // Until the first rebuild the config file's users hold: they need no database.
    this.current = IdentityRegistry.build(options.config, null);
  }

  /**
   * A reloaded configuration (docs/architecture.md §7 "Reloading"): its buckets, credentials
   * and auth.root hold from the next request on — built at once over the ledger's users as last
   * read — and the ledger is read again.
   */
  reconfigure(config: IdentityConfig): Promise<void> {
    this.config = config;
    this.current = IdentityRegistry.build(config, this.lastSnapshot, this.lastSecrets);
    return this.refresh();
  }

  get registry(): IdentityRegistry {
    return this.current;
  }

  /** Rebuild now; resolves once a rebuild that started after this call has finished (or failed). */
  refresh(): Promise<void> {
    if (this.running === null) {
      this.running = this.rebuild().finally(() => (this.running = null));
      return this.running;
    }
    this.again ??= this.running.then(() => {
      this.again = null;
      return this.refresh();
    });
    return this.again;
  }

  /** A stored key authenticated a request now (its last-used time, written on the timer). */
  noteUse(accessKeyId: string): void {
    if (this.current.holder(accessKeyId)?.source === 'ledger') this.used.set(accessKeyId, Date.now());
  }

  /** First rebuild (awaited), then one every interval. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? DEFAULT_REFRESH_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.flushUse();
  }

  private async tick(): Promise<void> {
    await this.flushUse();
    await this.refresh();
  }

  private async flushUse(): Promise<void> {
    if (this.used.size === 0) return;
    const used = [...this.used].map(([accessKeyId, at]) => ({ accessKeyId, at }));
    this.used.clear();
    try {
      await this.options.identity.touchCredentials(used);
    } catch (err) {
      this.options.logger.warn({ err }, 'could not record when credentials were last used');
    }
  }

  private async rebuild(): Promise<void> {
    try {
      const snapshot = await this.options.identity.snapshot();
      const secrets = await openSecrets(snapshot.credentials.filter((c) => c.revokedAt === null).map((c) => c.sealedSecret), this.options.sealer, this.lastSecrets);
      const next = IdentityRegistry.build(this.config, snapshot, secrets);
      this.lastSnapshot = snapshot;
      this.lastSecrets = secrets;
      this.current = next;
      const problems = next.problems.join('; ');
      if (problems !== '' && problems !== this.lastProblems) this.options.logger.warn({ problems: next.problems }, 'identity registry built with problems');
      this.lastProblems = problems;
    } catch (err) {
      this.options.logger.warn({ err }, 'identity registry rebuild failed; keeping the previous one');
    }
  }
}
