// Starts the sink backend in a child process of its own.
import { readHandshake, siblingScript, spawnNode } from '../child-process.js';

const STARTUP_TIMEOUT_MS = 60_000;

export interface SinkProcess {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startSink(options: { port?: number } = {}): Promise<SinkProcess> {
  const { script, nodeFlags } = siblingScript(import.meta.url, './main');
  const child = spawnNode('sink backend', script, [JSON.stringify({ port: options.port ?? 0 })], { nodeFlags });
  try {
    const { port } = await readHandshake<{ port: number }>(child, STARTUP_TIMEOUT_MS);
    return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.stop() };
  } catch (err) {
    await child.stop();
    throw err;
  }
}
