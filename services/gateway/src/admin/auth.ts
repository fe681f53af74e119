// Who may use the admin API: requests signed with SigV4 (header or presigned URL), verified
// exactly as S3 requests are, by a key whose user holds the control-plane permission the
// request needs (permissions.ts; `auth.root` holds every one). Anything else — no signature,
// an unknown key, a bad signature, a missing permission — is refused with 403 before a route
// runs, so a refused request changes nothing.
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IdentityRefresher } from '@s3o/identity';
import { S3Error, verifySigV4, type VerifiedRequest } from '@s3o/s3';
import { openClientBody, readWhole } from '../write/body.js';
import type { BodyGuards } from '../context.js';
import { AdminError, sendAdminError } from './respond.js';
import { adminNeed } from './permissions.js';

/** Bodies the admin API accepts (a list of ids) are small. */
const MAX_BODY_BYTES = 1024 * 1024;

export class AdminAuth {
  private readonly verified = new WeakMap<IncomingMessage, { auth: VerifiedRequest; user: string }>();

  constructor(
    private readonly identity: IdentityRefresher,
    private readonly guards: BodyGuards,
    private readonly onAuthenticated?: (request: FastifyRequest, accessKeyId: string, user: string) => void,
  ) {}

  /** The user who signed the request (after check). */
  userOf(request: FastifyRequest): string {
    const found = this.verified.get(request.raw);
    if (!found) throw new AdminError(403, 'AccessDenied', 'Access Denied');
    return found.user;
  }

  /** onRequest hook: refuses anything not signed by a key whose user holds the permission the request needs. */
  readonly check = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const registry = this.identity.registry;
    const url = request.raw.url ?? '/';
    const q = url.indexOf('?');
    try {
      const auth = verifySigV4(
        {
          method: request.raw.method ?? 'GET',
          rawPath: q === -1 ? url : url.slice(0, q),
          rawQuery: q === -1 ? undefined : url.slice(q + 1),
          headers: request.raw.headers,
        },
        registry.secretOf,
        new Date(),
      );
      const user = registry.holder(auth.accessKeyId)!.user;
      this.onAuthenticated?.(request, auth.accessKeyId, user);
      const path = (q === -1 ? url : url.slice(0, q)).replace(/^\/admin\/api/, '');
      const need = adminNeed(request.raw.method ?? 'GET', path);
      if (!registry.allowsAdmin(user, need.permission, need.backend)) {
        return sendAdminError(reply, new AdminError(403, 'AccessDenied', `Access Denied: this request needs ${need.permission}`));
      }
      this.verified.set(request.raw, { auth, user });
      return undefined;
    } catch (err) {
      const code = err instanceof S3Error ? err.code : 'AccessDenied';
      const message = err instanceof S3Error ? err.message : 'Access Denied';
      return sendAdminError(reply, new AdminError(403, code, message));
    }
  };

  /**
   * The request body, checked against what was signed (x-amz-content-sha256, Content-MD5);
   * a body that does not match its signature is refused like a bad signature.
   */
  async body(request: FastifyRequest): Promise<Buffer> {
    const auth = this.verified.get(request.raw)?.auth;
    if (!auth) throw new AdminError(403, 'AccessDenied', 'Access Denied');
    try {
      return await readWhole(openClientBody(request.raw, auth, MAX_BODY_BYTES, this.guards));
    } catch (err) {
      if (!(err instanceof S3Error)) throw err;
      const unsigned = err.code === 'XAmzContentSHA256Mismatch' || err.code === 'SignatureDoesNotMatch' || err.code === 'BadDigest';
      throw new AdminError(unsigned ? 403 : err.status, err.code, err.message);
    }
  }
}
