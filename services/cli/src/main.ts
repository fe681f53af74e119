#!/usr/bin/env node
// The `s3-orchestrator` command.
import { parseArgs } from 'node:util';
import { createLogger, processLogs, toggleLevelOnSignal, type Logger } from '@s3o/telemetry';
import { startConfiguredTracing } from './observability.js';
import { ADMIN_USAGE, runAdminCommand } from './admin/command.js';
import { loadConfigFile } from './config-file.js';
import { serve } from './serve.js';
import { runService } from './run-service.js';
import { runSyncCommand, SYNC_USAGE } from './sync.js';
import { REBUILD_USAGE, runRebuildCommand } from './rebuild.js';
import { INIT_USAGE, runInitCommand } from './init.js';
import { isServiceName } from './services.js';
import { heapFloorWarning, mallocWarning, runningGlibc } from './allocator.js';
import { crc64nvmeUnavailable } from '@s3o/s3';

const USAGE = `usage: s3-orchestrator <command> --config FILE [options]

commands:
  serve      run every service in one process
  gateway    run the S3 gateway (S3 API, admin API, /health, /metrics on server.listen_addr)
  placement  run the placement service     } each serves /health, /health/ready and
  cleanup    run the cleanup service       } /metrics on --health-listen HOST:PORT
  usage      run the usage service         } (default 0.0.0.0:9090)
  notifier   run the notifier service      }
  validate   check a config file; exit 0 when valid, 1 when not
${INIT_USAGE}  sync       import the objects already on a backend into a virtual bucket:
${SYNC_USAGE}  rebuild    rebuild a lost ledger from what the backends hold:
${REBUILD_USAGE}  admin      operator commands against a running gateway's admin API:
${ADMIN_USAGE}`;

function parseListen(value: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m) throw new Error(`--health-listen: expected HOST:PORT, got "${value}"`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

/** Runs until SIGTERM / SIGINT, then stops gracefully (in-flight work finishes). */
async function untilSignalled(logger: Logger, stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      stop().then(resolve, (err) => {
        logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'admin') return runAdminCommand(rest);
  if (command === 'sync') return runSyncCommand(rest);
  if (command === 'rebuild') return runRebuildCommand(rest);
  if (command === 'init') return runInitCommand(rest);
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string', short: 'c' }, 'health-listen': { type: 'string', default: '0.0.0.0:9090' } },
    allowPositionals: false,
  });
  if (command !== 'validate' && command !== 'serve' && !isServiceName(command)) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
    return 1;
  }
  if (!values.config) {
    process.stderr.write(`${command}: --config FILE is required\n\n${USAGE}`);
    return 1;
  }
  const loaded = await loadConfigFile(values.config);
  if (!loaded) return 1;
  const { config } = loaded;
  if (command === 'validate') {
    process.stdout.write(`${values.config}: valid (${config.buckets.length} buckets, ${config.backends.length} backends)\n`);
    return 0;
  }
  const logger = createLogger({ service: command === 'serve' ? 's3o' : command, level: config.logging.level, ring: processLogs });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  const allocator = mallocWarning(process.env.GLIBC_TUNABLES, runningGlibc);
  if (allocator) logger.warn(allocator);
  const heapFloor = heapFloorWarning(process.execArgv);
  if (heapFloor) logger.warn(heapFloor);
  const noCrc64 = crc64nvmeUnavailable();
  if (noCrc64) {
    logger.fatal(`cannot start: ${noCrc64}`);
    return 1;
  }
  // Tracing first, so everything the services do is traced; its last spans are exported after they stop.
  const tracing = await startConfiguredTracing(config, command);
  toggleLevelOnSignal(logger);
  const running = command === 'serve'
    ? await serve(config, logger, { configPath: values.config })
    : await runService(command, config, logger, parseListen(values['health-listen'] ?? '0.0.0.0:9090'), { configPath: values.config });
  await untilSignalled(logger, async () => {
    await running.stop();
    await tracing?.shutdown().catch((err: unknown) => logger.warn({ err }, 'exporting the last spans failed'));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`s3-orchestrator: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
