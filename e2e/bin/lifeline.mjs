// Preloaded (`node --import`) into every service process the e2e harness starts in
// distributed mode. The harness keeps each child's stdin open; when it closes, the test
// process that started the service has died without stopping it, so the service stops
// itself (SIGTERM: its own graceful shutdown) instead of living on as an orphan that holds
// database connections and ports. Plain JavaScript: the services run compiled code.
const GIVE_UP_MS = 10_000;

function parentGone() {
  process.kill(process.pid, 'SIGTERM');
  // A shutdown that hangs must not leave the orphan behind after all.
  setTimeout(() => process.exit(1), GIVE_UP_MS).unref();
}

process.stdin.on('end', parentGone);
process.stdin.on('error', parentGone);
process.stdin.resume();
// Watching stdin must not keep a service alive that has finished on its own.
process.stdin.unref();
