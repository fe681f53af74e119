// One orchestrator service as its own operating-system process, as distributed mode runs
// it in production: `node services/cli/dist/main.js <verb> --config FILE`. The harness
// reads its JSON log lines (pino, one per line on stdout), waits for it to be ready, and
// lets a test crash it (SIGKILL), freeze it (SIGSTOP) and start it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export type ServiceVerb = 'gateway' | 'placement' | 'cleanup' | 'usage' | 'notifier';

/** One pino log line of a service: `level` (a label: debug, info, warn, error, fatal), `msg` and its fields. */
export interface LogRecord {
  level: string;
  msg?: string;
  [field: string]: unknown;
}

/** The compiled command: distributed mode runs what production runs, never the TypeScript sources. */
const CLI_MAIN = fileURLToPath(new URL('../../../services/cli/dist/main.js', import.meta.url));
const LIFELINE = fileURLToPath(new URL('../../bin/lifeline.mjs', import.meta.url));
/**
 * Seven Node processes start at once on a 2-core machine that other test runs share (load
 * averages of 40 have been seen): a deadline, reached only by a process that never starts.
 */
const START_TIMEOUT_MS = 180_000;
/** SIGTERM → graceful stop (requests and handlers in flight finish); after this, SIGKILL (and the stop counts as hung). */
const STOP_GRACE_MS = 60_000;
const STDERR_KEPT_CHARS = 16_384;
/** pino's numeric levels, for output that carries numbers instead of labels. */
const LEVEL_LABELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** main.ts reports ignored config keys this way; the harness already refuses a config with warnings. */
const CONFIG_WARNING = /^warning: /;

export interface ServiceProcessOptions {
  /** `gateway-1`, `cleanup-2`, …: names the process in messages. */
  name: string;
  verb: ServiceVerb;
  configPath: string;
  /** Copy every log line to this process's stderr, prefixed with the name (debugging aid). */
  echoLogs: boolean;
}

export class ServiceProcess {
  readonly name: string;
  readonly verb: ServiceVerb;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** The process is expected to end: the harness stopped or killed it. */
  private endExpected = true;
  private currentUrl: string | null = null;
  private readonly records: LogRecord[] = [];
  private readonly logWaiters = new Set<() => void>();
  private stderrText = '';
  private readonly problems: string[] = [];

  constructor(private readonly options: ServiceProcessOptions) {
    this.name = options.name;
    this.verb = options.verb;
  }

  /** The gateway's S3 URL, or the health server's URL of the other services (of the running incarnation). */
  get url(): string {
    if (!this.currentUrl) throw new Error(`${this.name} is not running`);
    return this.currentUrl;
  }

  /** The running incarnation's process id (null before the first start). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The exit code of the last incarnation once it ended (null while running or when a signal ended it). */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  /** Starts the process (again, after it ended) and resolves once /health/ready answers 200. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    if (!existsSync(CLI_MAIN)) {
      throw new Error(`${CLI_MAIN} does not exist: distributed mode runs the compiled services; build them first (npx tsc -b at the repository root)`);
    }
    // --no-warnings: node's process warnings (deprecations, the SDK's Node-version notice)
    // would otherwise be the only stderr output of a healthy service, which the harness
    // treats as escaped errors.
    const args = ['--no-warnings', '--import', LIFELINE, CLI_MAIN, this.verb, '--config', this.options.configPath];
    if (this.verb !== 'gateway') args.push('--health-listen', '127.0.0.1:0');
    // NODE_OPTIONS is dropped: a test runner's TypeScript hooks must not reach compiled code.
    const { NODE_OPTIONS: _dropped, ...env } = process.env;
    const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.currentUrl = null;
    this.endExpected = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (!this.endExpected) this.problems.push(`${this.name} exited on its own (code ${code}, signal ${signal})${this.stderrTail()}`);
        this.wakeLogWaiters();
        resolve();
      });
    });
    child.once('error', (err) => this.problems.push(`${this.name} could not be started: ${err.message}`));
    this.readOutput(child);

    try {
      const running = await this.waitForLog(`"${this.verb} running"`, (r) => r.msg === `${this.verb} running` && typeof r.url === 'string', {
        timeoutMs: START_TIMEOUT_MS,
        since: this.records.length,
      });
      this.currentUrl = running.url as string;
      await this.untilReady();
    } catch (err) {
      await this.kill('SIGKILL');
      throw new Error(`${this.name} did not start: ${(err as Error).message}${this.stderrTail()}`);
    }
  }

  /**
   * Sends a signal as is, for fault injection: SIGKILL (a crash), SIGSTOP / SIGCONT (a hang).
   * A SIGKILL or SIGTERM is an expected end; resolves once the process is gone in that case.
   */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const ends = signal === 'SIGKILL' || signal === 'SIGTERM';
    if (ends) this.endExpected = true;
    child.kill(signal);
    if (ends) await this.exited;
  }

  /**
   * Graceful stop: SIGTERM, then SIGKILL after a grace period. A service that needs the
   * SIGKILL, or exits with an error code, is recorded as a problem (escapedErrors()).
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) {
      child?.stdin?.destroy();
      return;
    }
    this.endExpected = true;
    // A frozen (SIGSTOP) process cannot act on SIGTERM until it is continued.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), sleep(STOP_GRACE_MS).then(() => 'hung' as const)]);
    if (outcome === 'hung') {
      this.problems.push(`${this.name} did not stop within ${STOP_GRACE_MS} ms of SIGTERM and was killed`);
      child.kill('SIGKILL');
      await this.exited;
    } else if (child.exitCode !== 0) {
      this.problems.push(`${this.name} exited with code ${child.exitCode} (signal ${child.signalCode}) after SIGTERM${this.stderrTail()}`);
    }
    child.stdin?.destroy();
  }

  /** Every log line of every incarnation, in order. */
  logs(): LogRecord[] {
    return [...this.records];
  }

  /**
   * The first log line from index `since` on (default: from the start) that matches;
   * waits for it up to `timeoutMs`, and fails early when the process ends without it.
   */
  async waitForLog(
    what: string,
    matches: (record: LogRecord) => boolean,
    options: { timeoutMs?: number; since?: number } = {},
  ): Promise<LogRecord> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let from = options.since ?? 0;
    for (;;) {
      for (; from < this.records.length; from++) {
        const record = this.records[from]!;
        if (matches(record)) return record;
      }
      if (!this.running) throw new Error(`${this.name} ended without logging ${what}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`${this.name} logged no ${what} within ${options.timeoutMs ?? 10_000} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.logWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, remaining);
        this.logWaiters.add(wake);
      });
    }
  }

  /**
   * What would have crashed or hung a production process: a fatal log line (main.ts logs
   * uncaught exceptions and unhandled rejections that way before exiting), anything on
   * stderr, an exit nobody asked for, a stop that needed SIGKILL.
   */
  escapedErrors(): string[] {
    const found = [...this.problems];
    for (const record of this.records) {
      if (record.level === 'fatal') found.push(`${this.name} logged a fatal error: ${JSON.stringify(record)}`);
    }
    const unexpected = this.stderrText
      .split('\n')
      .filter((line) => line.trim() !== '' && !CONFIG_WARNING.test(line));
    if (unexpected.length > 0) found.push(`${this.name} wrote to stderr:\n    ${unexpected.join('\n    ')}`);
    return found;
  }

  private readOutput(child: ChildProcess): void {
    const prefix = `[${this.name}] `;
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      if (this.options.echoLogs) process.stderr.write(prefix + line + '\n');
      this.records.push(parseLogLine(line));
      this.wakeLogWaiters();
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (this.options.echoLogs) process.stderr.write(prefix + chunk);
      this.stderrText = (this.stderrText + chunk).slice(-STDERR_KEPT_CHARS);
    });
  }

  private wakeLogWaiters(): void {
    for (const wake of [...this.logWaiters]) wake();
  }

  private async untilReady(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let last = 'no answer';
    while (this.running) {
      try {
        const res = await fetch(`${this.url}/health/ready`);
        await res.arrayBuffer();
        if (res.status === 200) return;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() >= deadline) throw new Error(`/health/ready did not answer 200 within ${START_TIMEOUT_MS} ms (last: ${last})`);
      await sleep(100);
    }
    throw new Error('it exited before it was ready');
  }

  private stderrTail(): string {
    const tail = this.stderrText.trim().slice(-2000);
    return tail ? `; stderr: ${tail}` : '';
  }
}

/** A stdout line that is not a JSON log record is kept as the message of a record of level `raw`. */
function parseLogLine(line: string): LogRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { level: 'raw', msg: line };
  }
  if (!parsed || typeof parsed !== 'object') return { level: 'raw', msg: line };
  const record = parsed as { level?: unknown };
  if (typeof record.level === 'number') return { ...record, level: LEVEL_LABELS[record.level] ?? String(record.level) };
  if (typeof record.level === 'string') return record as LogRecord;
  return { level: 'raw', msg: line };
}
