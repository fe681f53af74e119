#!/usr/bin/env node
// Entry of `npm run bench` (scripts/bench.mjs runs the compiled file).
import { benchMain } from './cli.js';

// Ctrl-C: exit through process 'exit', which stops the child processes still running.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

benchMain(process.argv.slice(2)).then(
  ({ exitCode }) => process.exit(exitCode),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
