#!/usr/bin/env node
// The `s3-orchestrator` command.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@s3o/config';
import { createLogger } from '@s3o/telemetry';
import { serve } from './serve.js';

const USAGE = `usage: s3-orchestrator <command> --config FILE

commands:
  serve      run every service in one process (SQLite, in-process events)
  validate   check a config file; exit 0 when valid, 1 when not
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command ? 0 : 1;
  }
  if (!values.config) {
    process.stderr.write(`${command}: --config FILE is required\n\n${USAGE}`);
    return 1;
  }
  let loaded;
  try {
    loaded = await loadConfig(values.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${values.config}: invalid configuration\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return 1;
    }
    throw err;
  }
  for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);

  switch (command) {
    case 'validate':
      process.stdout.write(`${values.config}: valid (${loaded.config.buckets.length} buckets, ${loaded.config.backends.length} backends)\n`);
      return 0;
    case 'serve': {
      const logger = createLogger({ service: 's3o', level: loaded.config.logging.level });
      const running = await serve(loaded.config, logger);
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          logger.info({ signal }, 'shutting down');
          running.stop().then(resolve, (err) => {
            logger.error({ err }, 'shutdown failed');
            resolve();
          });
        };
        process.once('SIGTERM', () => shutdown('SIGTERM'));
        process.once('SIGINT', () => shutdown('SIGINT'));
      });
      return 0;
    }
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`s3-orchestrator: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
