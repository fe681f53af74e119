// This process's log, for operators:
//   GET logs?level=&since=&limit=   the latest lines of the process's in-memory ring, oldest first
//   GET log-level                   the process's level
//   PUT log-level {"level": "debug"} change it until restart (every service logger follows the root)
import type { FastifyInstance } from 'fastify';
import { LOG_LEVELS, auditLog, type LogLevelName } from '@s3o/telemetry';
import type { AdminAuth } from './auth.js';
import type { GatewayDeps } from '../context.js';
import { AdminError, intParam, sendJson } from './respond.js';
import { queryOf } from './query.js';

const LEVELS = Object.keys(LOG_LEVELS) as LogLevelName[];
const SETTABLE = [...LEVELS, 'silent'];

function isLevel(value: unknown): value is LogLevelName {
  return typeof value === 'string' && (LEVELS as string[]).includes(value);
}

function operatorOf(deps: GatewayDeps) {
  if (!deps.operator) throw new AdminError(503, 'NotAvailable', 'this gateway was started without its process logger');
  return deps.operator;
}

export function registerLogRoutes(app: FastifyInstance, deps: GatewayDeps, auth: AdminAuth): void {
  app.get('/logs', async (request, reply) => {
    const { logs } = operatorOf(deps);
    const query = queryOf(request);
    const level = query.get('level');
    if (level !== null && !isLevel(level)) throw new AdminError(400, 'InvalidArgument', `level must be one of ${LEVELS.join(', ')}`);
    const sinceText = query.get('since');
    let since: number | undefined;
    if (sinceText !== null && sinceText !== '') {
      since = /^\d+$/.test(sinceText) ? Number(sinceText) : Date.parse(sinceText);
      if (!Number.isFinite(since)) throw new AdminError(400, 'InvalidArgument', 'since must be an ISO 8601 time or epoch milliseconds');
    }
    const limit = intParam(query, 'limit', 200, 1, logs.capacity)!;
    const lines = logs.query({ minLevel: level ?? undefined, since, limit });
    return sendJson(reply, 200, { process: deps.operator?.process.service, capacity: logs.capacity, lines: lines.map((l) => l.line) });
  });

  app.get('/log-level', async (_request, reply) => sendJson(reply, 200, { level: operatorOf(deps).rootLogger.level }));

  app.put('/log-level', async (request, reply) => {
    const { rootLogger } = operatorOf(deps);
    let body: unknown;
    try {
      body = JSON.parse((await auth.body(request)).toString('utf8'));
    } catch (err) {
      if (err instanceof AdminError) throw err;
      throw new AdminError(400, 'InvalidArgument', 'the body must be JSON: {"level": "debug"}');
    }
    const level = (body as { level?: unknown } | null)?.level;
    if (typeof level !== 'string' || !SETTABLE.includes(level)) {
      throw new AdminError(400, 'InvalidArgument', `level must be one of ${SETTABLE.join(', ')}`);
    }
    const previous = rootLogger.level;
    rootLogger.level = level;
    auditLog(rootLogger, 'log.level', { level, previous, requestId: request.id });
    return sendJson(reply, 200, { level, previous });
  });
}
