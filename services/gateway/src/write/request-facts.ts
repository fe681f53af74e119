// The facts of a client request that the object events it causes carry (who asked, from where).
import type { RequestFacts } from '@s3o/events';
import type { RequestContext } from '../context.js';

export function requestFacts(ctx: RequestContext): RequestFacts {
  return { request_id: ctx.requestId, access_key_id: ctx.auth.accessKeyId, source_ip: ctx.sourceIp };
}
