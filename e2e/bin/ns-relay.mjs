// A plain TCP relay, run inside a chaos network namespace (`ip netns exec NS node ns-relay.mjs`,
// e2e/src/chaos/kernel-link.ts): it listens on the namespace's end of the veth pair and
// forwards every connection to the host's end, so the gateway's traffic to one backend
// crosses the namespace's link — where `tc tbf` caps it and `iptables` drops it.
//
// Plain JavaScript, no imports beyond node: it runs in a bare `node` inside the namespace.
// argv[2] is JSON { listenHost, targetHost, targetPort }; once listening it writes one line
// { "port": N } to stdout; it exits when its stdin closes (its parent is gone).
import { createServer, connect } from 'node:net';

const { listenHost, targetHost, targetPort } = JSON.parse(process.argv[2] ?? '{}');
const server = createServer((client) => {
  const upstream = connect(targetPort, targetHost);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.resetAndDestroy());
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen(0, listenHost, () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
