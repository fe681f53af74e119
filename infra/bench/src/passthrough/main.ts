// Child-process entry of the pass-through proxy (see process.ts): the least a Node HTTP hop
// can do — forward each request as is (headers, Host included, so signatures still hold)
// and pipe both bodies. No parsing, hashing or bookkeeping. Measured in front of the same
// backend as the gateway, it shows what any extra Node process costs on this machine, so
// the gateway's own overhead is what remains between this column and the gateway's.
// argv[2]: JSON { upstreamPort, port }; prints { "port": N } once listening; exits on
// SIGTERM/SIGINT or when stdin closes.
import http from 'node:http';

const { upstreamPort, port } = JSON.parse(process.argv[2] ?? '{}') as { upstreamPort: number; port?: number };
const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });

const server = http.createServer((req, res) => {
  const upstream = http.request(
    { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-length': 0 }).end();
    else res.destroy();
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 65_000;
server.listen(port ?? 0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy is not listening on a TCP port');
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  agent.destroy();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
