// Starts s3rver in a child process. s3rver needs `--openssl-legacy-provider`; running it in
// its own process keeps that flag away from the process under test, and gives tests a real
// process to kill, stop or freeze when they want a backend to fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The child script lives in bin/, one level above both src/ and dist/, so one URL serves both. */
const CHILD_SCRIPT = fileURLToPath(new URL('../bin/s3rver-main.mjs', import.meta.url));
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** How much of the child's stderr is kept to explain a failed start. */
const STDERR_TAIL_BYTES = 4096;

export interface StartS3rverOptions {
  /** Directory s3rver stores buckets and objects in. */
  dir: string;
  /** Port to listen on (127.0.0.1); 0 or absent picks an ephemeral port. */
  port?: number;
  /** Buckets created at start. */
  buckets: string[];
}

export interface S3rverProcess {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  pid: number;
  /** Graceful stop (SIGTERM, then SIGKILL after a grace period); resolves once the process has exited. */
  stop(): Promise<void>;
  /** Sends a signal as is, for fault injection (SIGKILL = crash, SIGSTOP = hang, SIGCONT = resume). */
  kill(signal: NodeJS.Signals): boolean;
}

export async function startS3rver(options: StartS3rverOptions): Promise<S3rverProcess> {
  const args = JSON.stringify({ directory: options.dir, port: options.port ?? 0, buckets: options.buckets });
  const child = spawn(process.execPath, [CHILD_SCRIPT, args], {
    // Replace, not extend: the parent's NODE_OPTIONS may load TypeScript hooks the child does not need.
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    // stdin stays open as a lifeline: the child exits when it closes (i.e. when this process dies).
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stderrTail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });

  let port: number;
  try {
    port = await readBoundPort(child, () => stderrTail);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  // After the handshake, keep draining stdout so a chatty child can never block on a full pipe.
  child.stdout!.resume();

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    kill: (signal) => child.kill(signal),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // A stopped (SIGSTOP) child cannot act on SIGTERM until it is continued.
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const escalation = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(escalation);
      child.stdin!.destroy();
    },
  };
}

/** Waits for the child's first stdout line, `{"port":N}`. */
function readBoundPort(child: ChildProcess, stderrTail: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const fail = (reason: string) => {
      cleanup();
      const tail = stderrTail().trim();
      reject(new Error(`s3rver child process ${reason}${tail ? `; stderr: ${tail}` : ''}`));
    };
    const onData = (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      const line = buffered.slice(0, newline);
      cleanup();
      try {
        const { port } = JSON.parse(line) as { port: unknown };
        if (typeof port !== 'number') throw new Error('no port');
        resolve(port);
      } catch {
        reject(new Error(`s3rver child process printed an unexpected first line: ${line}`));
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited before listening (code ${code}, signal ${signal})`);
    const onError = (err: Error) => fail(`could not be started: ${err.message}`);
    const timer = setTimeout(() => fail(`did not report its port within ${STARTUP_TIMEOUT_MS} ms`), STARTUP_TIMEOUT_MS);
    function cleanup() {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
