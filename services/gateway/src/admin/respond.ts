// How the admin API answers: JSON, never cached, errors as `{ error: { code, message[, field] }, request_id }`
// (`field` names the input at fault, when one is).
import type { FastifyReply } from 'fastify';

export class AdminError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
    this.name = 'AdminError';
  }
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
}

export function sendAdminError(reply: FastifyReply, err: AdminError): FastifyReply {
  const error = err.field === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, field: err.field };
  return sendJson(reply, err.status, { error, request_id: reply.request.id });
}

/** A whole-number query parameter in [min, max]; `fallback` when absent. */
export function intParam(query: URLSearchParams, name: string, fallback: number | null, min: number, max: number): number | null {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new AdminError(400, 'InvalidArgument', `${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}
