// The dashboard's side of the admin API's door (admin/auth.ts): an unsigned request with a
// valid session cookie is let in as the session's principal — a GET with `admin-read`,
// anything else only with `admin-write` and the session's CSRF token in X-CSRF-Token
// (SameSite=Strict already keeps other sites' requests from carrying the cookie; the token
// makes that not the only guard).
import type { FastifyRequest } from 'fastify';
import { AdminError } from '../admin/respond.js';
import type { AdminSessionCheck } from '../admin/auth.js';
import { checkCsrf, parseCookies, SESSION_COOKIE, type Session, type SessionSigner } from './session.js';

export const CSRF_HEADER = 'x-csrf-token';

export function sessionOf(signer: SessionSigner, request: FastifyRequest): Session | null {
  return signer.verify(parseCookies(request.headers.cookie).get(SESSION_COOKIE));
}

export function adminSessionCheck(signer: SessionSigner): AdminSessionCheck {
  return (request) => {
    if (!parseCookies(request.headers.cookie).has(SESSION_COOKIE)) return null;
    const session = sessionOf(signer, request);
    if (!session) return new AdminError(403, 'AccessDenied', 'The dashboard session has expired or was ended; log in again.');
    if (request.method === 'GET' || request.method === 'HEAD') {
      return session.principal.grants.has('admin-read') ? { accessKeyId: session.principal.accessKeyId } : new AdminError(403, 'AccessDenied', 'Access Denied');
    }
    const token = request.headers[CSRF_HEADER];
    if (!checkCsrf(session, typeof token === 'string' ? token : undefined)) {
      return new AdminError(403, 'InvalidCsrfToken', 'A state-changing request of a dashboard session must carry its CSRF token.');
    }
    if (!session.principal.grants.has('admin-write')) return new AdminError(403, 'AccessDenied', 'Your grants allow reading only.');
    return { accessKeyId: session.principal.accessKeyId };
  };
}
