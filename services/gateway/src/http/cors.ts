// CORS for browsers (`buckets[].cors[]`, as AWS's bucket CORS rules): the preflight (OPTIONS) is
// answered before authentication — a browser sends it without credentials — 200 with the
// first matching rule's Access-Control-* headers, 403 when no rule matches; every other answer
// to a request with an Origin a rule allows carries them too, errors included (respond.ts
// keeps them), so a script can read the error a request ended with.
import type { FastifyReply } from 'fastify';
import type { Config, CorsRule } from '@s3o/config';
import { S3Error, S3_XMLNS, XML_DECLARATION, escapeXml } from '@s3o/s3';

function wildcard(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star === -1) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

function headersAllowed(rule: CorsRule, requested: string[]): boolean {
  return requested.every((h) => rule.allowedHeaders.some((pattern) => wildcard(pattern, h)));
}

/** The first rule that allows `origin`, `method` and every requested header. */
export function matchCorsRule(rules: readonly CorsRule[], origin: string, method: string, requestedHeaders: string[] = []): CorsRule | null {
  return rules.find((r) => r.allowedOrigins.some((o) => wildcard(o, origin)) &&
    (r.allowedMethods as readonly string[]).includes(method) && headersAllowed(r, requestedHeaders)) ?? null;
}

function allowOrigin(rule: CorsRule, origin: string): string {
  return rule.allowedOrigins.includes('*') ? '*' : origin;
}

function rulesOf(config: Config, bucket: string | null): readonly CorsRule[] {
  if (bucket === null) return [];
  return config.buckets.find((b) => b.name === bucket)?.cors ?? [];
}

/** Access-Control-* on an actual (non-preflight) answer, when a rule allows its origin and method. */
export function setCorsHeaders(reply: FastifyReply, config: Config, bucket: string | null, origin: string | undefined, method: string): void {
  if (origin === undefined) return;
  const rule = matchCorsRule(rulesOf(config, bucket), origin, method);
  if (!rule) return;
  reply.header('access-control-allow-origin', allowOrigin(rule, origin));
  reply.header('access-control-allow-methods', rule.allowedMethods.join(', '));
  if (rule.exposeHeaders.length > 0) reply.header('access-control-expose-headers', rule.exposeHeaders.join(', '));
  if (rule.maxAgeSeconds !== null) reply.header('access-control-max-age', String(rule.maxAgeSeconds));
  if (!rule.allowedOrigins.includes('*')) reply.header('access-control-allow-credentials', 'true');
  reply.header('vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
}

/**
 * A preflight: 200 with the matching rule's headers; 400 without Origin or
 * Access-Control-Request-Method; 403 AccessForbidden when no rule allows the request.
 */
export function answerPreflight(reply: FastifyReply, config: Config, bucket: string | null, headers: Record<string, string | string[] | undefined>): void {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const origin = one('origin');
  const method = one('access-control-request-method');
  if (origin === undefined || method === undefined) {
    throw new S3Error('BadRequest', { message: 'Insufficient information. Origin request header needed.' });
  }
  const requested = (one('access-control-request-headers') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  const rule = matchCorsRule(rulesOf(config, bucket), origin, method, requested);
  if (!rule) {
    throw new S3Error('AccessForbidden', {
      message: 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.',
      extra: { Method: method, ResourceType: 'OBJECT' },
    });
  }
  reply.header('access-control-allow-origin', allowOrigin(rule, origin));
  reply.header('access-control-allow-methods', rule.allowedMethods.join(', '));
  if (requested.length > 0) reply.header('access-control-allow-headers', requested.join(', '));
  if (rule.exposeHeaders.length > 0) reply.header('access-control-expose-headers', rule.exposeHeaders.join(', '));
  if (rule.maxAgeSeconds !== null) reply.header('access-control-max-age', String(rule.maxAgeSeconds));
  if (!rule.allowedOrigins.includes('*')) reply.header('access-control-allow-credentials', 'true');
  reply.header('vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
  reply.code(200).header('content-length', 0).send();
}

/** GetBucketCors: the configured rules as AWS's CORSConfiguration; NoSuchCORSConfiguration when none. */
export function corsConfigurationXml(config: Config, bucket: string): string {
  const rules = rulesOf(config, bucket);
  if (rules.length === 0) throw new S3Error('NoSuchCORSConfiguration', { extra: { BucketName: bucket } });
  const el = (name: string, values: readonly string[]) => values.map((v) => `<${name}>${escapeXml(v)}</${name}>`).join('');
  const inner = rules.map((r) => '<CORSRule>' + el('AllowedHeader', r.allowedHeaders) + el('AllowedMethod', r.allowedMethods) +
    el('AllowedOrigin', r.allowedOrigins) + el('ExposeHeader', r.exposeHeaders) +
    (r.maxAgeSeconds !== null ? `<MaxAgeSeconds>${r.maxAgeSeconds}</MaxAgeSeconds>` : '') + '</CORSRule>').join('');
  return `${XML_DECLARATION}<CORSConfiguration xmlns="${S3_XMLNS}">${inner}</CORSConfiguration>`;
}
