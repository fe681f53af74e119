// Child processes of the benchmark (sink backend, gateway): each runs in a process of its
// own so its memory and CPU are its own, and never outlives the benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withMallocTunables } from '@s3o/cli/allocator';
import type { HopRuntime } from './node-runtime.js';

const STOP_GRACE_MS = 10_000;

/** Children still running; killed if the benchmark exits without stopping them (Ctrl-C, a crash). */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killLiveChildrenOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}
/** How much of a child's stderr is kept to explain a failure. */
const STDERR_TAIL_BYTES = 8192;

export interface ChildHandle {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last bytes the child wrote to stderr. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** extra node flags, e.g. --cpu-prof */
  nodeFlags?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** another Node than the benchmark's own (`--node 24`); null/absent = the benchmark's */
  runtime?: HopRuntime | null;
}

/**
 * Runs `node [flags] script ...args`. stdin stays open as a lifeline (children that watch
 * it exit when the benchmark dies); stdout is the child's to use, stderr is drained into a tail.
 */
export function spawnNode(name: string, script: string, args: string[], options: SpawnOptions = {}): ChildHandle {
  const { NODE_OPTIONS: _inheritedHooks, ...inherited } = options.env ?? process.env;
  // Every process of a run has the allocator setting of a deployment (the Docker image's).
  const env = { ...inherited, GLIBC_TUNABLES: withMallocTunables(inherited.GLIBC_TUNABLES) };
  const runtime = options.runtime ?? null;
  const child = spawn(runtime?.execPath ?? process.execPath, [...(runtime?.nodeFlags ?? []), ...(options.nodeFlags ?? []), script, ...args], {
    cwd: options.cwd,
    env: runtime ? { ...env, ...runtime.env } : env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  killLiveChildrenOnExit();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  let tail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${script}`);
  return {
    name,
    process: child,
    pid: child.pid,
    exited,
    stderrTail: () => tail,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const escalation = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(escalation);
      }
      child.stdin!.destroy();
    },
  };
}

/**
 * A sibling entry script of the calling module, in the form this code runs as: compiled
 * (`dist/…js`) runs it with plain node, sources (`src/…ts`, under tsx in tests) run it
 * through tsx with the `source` export condition.
 */
export function siblingScript(callerUrl: string, relativeWithoutExtension: string): { script: string; nodeFlags: string[] } {
  const fromSources = callerUrl.endsWith('.ts');
  const script = fileURLToPath(new URL(`${relativeWithoutExtension}${fromSources ? '.ts' : '.js'}`, callerUrl));
  // Resolved here, not by the child: `--import tsx` would be looked up from the child's cwd.
  return { script, nodeFlags: fromSources ? ['--conditions=source', '--import', import.meta.resolve('tsx')] : [] };
}

/** Reads the child's first stdout line as JSON (the handshake of a child that reports its port). */
export function readHandshake<T>(child: ChildHandle, timeoutMs: number): Promise<T> {
  const stdout = child.process.stdout!;
  return new Promise<T>((resolve, reject) => {
    let buffered = '';
    const finish = (err: Error | null, value?: T) => {
      clearTimeout(timer);
      stdout.off('data', onData);
      child.process.off('exit', onExit);
      // Keep draining: a chatty child must never block on a full pipe.
      stdout.resume();
      if (err) reject(err);
      else resolve(value as T);
    };
    const onData = (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      const line = buffered.slice(0, newline);
      try {
        finish(null, JSON.parse(line) as T);
      } catch {
        finish(new Error(`${child.name}: unexpected first line on stdout: ${line}`));
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`${child.name} exited before it was ready (code ${code}, signal ${signal}): ${child.stderrTail().trim()}`));
    const timer = setTimeout(() => finish(new Error(`${child.name}: no handshake within ${timeoutMs} ms: ${child.stderrTail().trim()}`)), timeoutMs);
    stdout.setEncoding('utf8');
    stdout.on('data', onData);
    child.process.once('exit', onExit);
  });
}
