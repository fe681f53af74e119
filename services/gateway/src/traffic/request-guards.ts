// What bounds one request beyond admission (docs/security.md): the body's idle time and
// rate and the process's buffered-bytes budget (BodyGuards, used wherever a body is read),
// and the writes in flight per access key and per client IP (counted once a write is
// authenticated, until its response ends).
import type { FastifyReply } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { cidrBlockList, type Config } from '@s3o/config';
import type { BodyGuards } from '../context.js';
import { clientIp } from './client-ip.js';
import { InflightWrites } from './inflight-writes.js';
import { MemoryBudget } from './memory-budget.js';

export interface RequestGuards {
  body: BodyGuards;
  /** Counts an authenticated write until its response ends; throws SlowDown over a cap. */
  countWrite(req: IncomingMessage, reply: FastifyReply, accessKeyId: string): void;
}

export function createRequestGuards(config: Config): RequestGuards {
  const { server } = config;
  const inflight = new InflightWrites({
    writesPerCredential: server.maxInflightWritesPerCredential,
    writesPerIp: server.maxInflightWritesPerIp,
    bytesPerCredential: server.maxInflightBytesPerCredential,
    bytesPerIp: server.maxInflightBytesPerIp,
  });
  // The client as rate limiting sees it: X-Forwarded-For is believed from trusted proxies only.
  const trustedProxies = config.rateLimit.trustedProxies.length > 0 ? cidrBlockList(config.rateLimit.trustedProxies) : null;
  return {
    body: {
      time: { idleMs: server.bodyIdleTimeoutMs, minBytesPerSecond: server.minBodyRate },
      memory: new MemoryBudget(server.maxBufferedBytes),
    },
    countWrite(req, reply, accessKeyId) {
      const ip = clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies);
      // 'close' fires however the response ends: sent, failed or abandoned by the client.
      reply.raw.once('close', inflight.admit(accessKeyId, ip, declaredBodyBytes(req.headers)));
    },
  };
}

/** The body length a write declares (decoded length for aws-chunked); 0 when it declares none it could keep to. */
function declaredBodyBytes(headers: IncomingMessage['headers']): number {
  const text = headers['x-amz-decoded-content-length'] ?? headers['content-length'];
  return typeof text === 'string' && /^\d{1,16}$/.test(text) ? Number(text) : 0;
}
