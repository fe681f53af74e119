// The compiled orchestrator (`dist/main.js serve`) in a child process, so a test can crash it
// for real (SIGKILL) and start it again on the same configuration and database.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const STARTUP_TIMEOUT_MS = 30_000;
const OUTPUT_TAIL_CHARS = 8192;

export interface ServeProcess {
  url: string;
  pid: number;
  /** Sends a signal as is (SIGKILL = crash). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the process has exited. */
  exited: Promise<void>;
  /** The exit code once it has exited (null while running, or when a signal ended it). */
  exitCode(): number | null;
  /** Last lines of output, to explain a failure. */
  outputTail(): string;
}

/** Starts `serve --config FILE` and resolves once it logs that it is serving. */
export async function startServe(configPath: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', configPath], {
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let tail = '';
  const keep = (chunk: string) => {
    tail = (tail + chunk).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stderr.setEncoding('utf8').on('data', keep);
  child.stdout.setEncoding('utf8');

  const url = await new Promise<string>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => fail(`did not log "serving" within ${STARTUP_TIMEOUT_MS} ms`), STARTUP_TIMEOUT_MS);
    function fail(reason: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`serve ${reason}; output: ${tail}`));
    }
    const onEarlyExit = (code: number | null, signal: string | null) =>
      fail(`exited before serving (code ${code}, signal ${signal})`);
    child.once('exit', onEarlyExit);
    child.stdout.on('data', (chunk: string) => {
      keep(chunk);
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 's3-orchestrator serving' && entry.url) {
            clearTimeout(timer);
            child.off('exit', onEarlyExit);
            resolve(entry.url);
          }
        } catch {
          // not a JSON log line; kept in the tail only
        }
      }
    });
  });
  return {
    url,
    pid: child.pid!,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    exited,
    exitCode: () => child.exitCode,
    outputTail: () => tail,
  };
}

/** Crash-stops a serve process and waits for it to be gone. */
export async function killServe(serve: ServeProcess | undefined): Promise<void> {
  if (!serve) return;
  serve.kill('SIGKILL');
  await serve.exited;
}
