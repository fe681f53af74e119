// Child-process entry of the sink backend (see process.ts, which spawns it).
// argv[2]: JSON { port }. Once listening it prints one line { "port": N } on stdout. It
// exits on SIGTERM/SIGINT and when stdin closes, so it never outlives the benchmark.
import { createSinkServer } from './server.js';

const { port } = JSON.parse(process.argv[2] ?? '{}') as { port?: number };
const server = createSinkServer();
server.listen(port ?? 0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the sink is not listening on a TCP port');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
