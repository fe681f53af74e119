// Starts the pass-through proxy in a child process of its own, in front of one backend.
import { readHandshake, siblingScript, spawnNode } from '../child-process.js';
import type { HopRuntime } from '../node-runtime.js';

const STARTUP_TIMEOUT_MS = 20_000;

export interface PassthroughProcess {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startPassthrough(upstreamEndpoint: string, runtime: HopRuntime | null = null): Promise<PassthroughProcess> {
  const upstreamPort = Number(new URL(upstreamEndpoint).port);
  const { script, nodeFlags } = siblingScript(import.meta.url, './main');
  const child = spawnNode('pass-through proxy', script, [JSON.stringify({ upstreamPort, port: 0 })], { nodeFlags, runtime });
  try {
    const { port } = await readHandshake<{ port: number }>(child, STARTUP_TIMEOUT_MS);
    return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.stop() };
  } catch (err) {
    await child.stop();
    throw err;
  }
}
