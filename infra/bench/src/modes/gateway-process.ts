// The gateway under test as a process of its own — the compiled `s3-orchestrator` command,
// as an operator runs it — so its RSS and CPU are measured apart from the benchmark's client.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { HEAP_FLOOR_FLAG } from '@s3o/cli/allocator';
import { spawnNode, type ChildHandle } from '../child-process.js';
import type { HopRuntime } from '../node-runtime.js';

/**
 * The compiled CLI. This file sits four levels below the repository root in both src/ and
 * dist/ (infra/bench/{src,dist}/modes), so one relative URL serves both. Compiled code on
 * purpose: the gateway is measured as it runs in production, not under a TypeScript loader.
 */
const CLI_MAIN = fileURLToPath(new URL('../../../../services/cli/dist/main.js', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;

export interface GatewayProcess {
  url: string;
  child: ChildHandle;
}

/** A port that was free a moment ago (the gateway binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

/** `s3-orchestrator <verb> --config FILE`, resolved once /health/ready answers 200. */
export async function startGatewayProcess(options: {
  verb: string;
  /** another checkout's compiled CLI (A/B tools); default this checkout's */
  cli?: string;
  configPath: string;
  port: number;
  nodeFlags: string[];
  cwd: string;
  runtime?: HopRuntime | null;
  /** default 60 s; distributed mode starts six or more processes on a loaded machine and waits longer */
  readyTimeoutMs?: number;
}): Promise<GatewayProcess> {
  // As deployed (services/cli/src/allocator.ts); a floor in nodeFlags comes later and wins.
  const child = spawnNode('gateway', options.cli ?? CLI_MAIN, [options.verb, '--config', options.configPath], {
    nodeFlags: [HEAP_FLOOR_FLAG, ...options.nodeFlags],
    cwd: options.cwd,
    runtime: options.runtime,
  });
  child.process.stdout!.resume();
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitReady(url, child, options.readyTimeoutMs ?? READY_TIMEOUT_MS);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { url, child };
}

async function waitReady(url: string, child: ChildHandle, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the gateway exited before it was ready: ${child.stderrTail().trim()}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  throw new Error(`the gateway was not ready within ${timeoutMs} ms: ${child.stderrTail().trim()}`);
}
