// The query string of an admin request, as sent.
import type { FastifyRequest } from 'fastify';

export function queryOf(request: FastifyRequest): URLSearchParams {
  const url = request.raw.url ?? '';
  return new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
}
