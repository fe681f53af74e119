// Who may use the admin API: requests signed with SigV4 (header or presigned URL) by the
// `auth.root` credential, verified exactly as S3 requests are. Anything else — no
// signature, another key, a bad signature, no root credential configured — is refused
// with 403 before a route runs, so a refused request changes nothing.
// With the dashboard on, an unsigned request carrying a dashboard session cookie is let in
// by the session check instead (ui/session-gate.ts: the session, its CSRF token on anything
// but GET, the principal's grants); its body is then unsigned.
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Credential } from '@s3o/config';
import { S3Error, verifySigV4, type VerifiedRequest } from '@s3o/s3';
import { openClientBody, readWhole } from '../write/body.js';
import type { BodyGuards } from '../context.js';
import { AdminError, sendAdminError } from './respond.js';

/** Bodies the admin API accepts (a list of ids) are small. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Decides an unsigned request by its dashboard session: null when it carries none (the
 * SigV4 check then refuses it), the access key id it is let in as, or the refusal.
 */
export type AdminSessionCheck = (request: FastifyRequest) => { accessKeyId: string } | AdminError | null;

const SIGNED = /(^|&)X-Amz-Signature=/;

export class AdminAuth {
  private readonly verified = new WeakMap<IncomingMessage, VerifiedRequest>();

  constructor(
    /** read per request: a configuration reload may change it */
    private readonly rootOf: () => Credential | null,
    private readonly guards: BodyGuards,
    private readonly onAuthenticated?: (request: FastifyRequest, accessKeyId: string) => void,
    private readonly session?: AdminSessionCheck,
  ) {}

  /** onRequest hook: refuses anything not signed by the root credential. */
  readonly check = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const root = this.rootOf();
    if (!root) {
      return sendAdminError(reply, new AdminError(403, 'AccessDenied', 'The admin API is off: no auth.root credential is configured.'));
    }
    const url = request.raw.url ?? '/';
    const q = url.indexOf('?');
    if (this.session && request.headers.authorization === undefined && !(q !== -1 && SIGNED.test(url.slice(q + 1)))) {
      const decided = this.session(request);
      if (decided instanceof AdminError) return sendAdminError(reply, decided);
      if (decided !== null) {
        this.verified.set(request.raw, { accessKeyId: decided.accessKeyId, region: 'us-east-1', authType: 'header', payload: { mode: 'unsigned' }, queryHeaders: {} });
        this.onAuthenticated?.(request, decided.accessKeyId);
        return undefined;
      }
    }
    try {
      const auth = verifySigV4(
        {
          method: request.raw.method ?? 'GET',
          rawPath: q === -1 ? url : url.slice(0, q),
          rawQuery: q === -1 ? undefined : url.slice(q + 1),
          headers: request.raw.headers,
        },
        (accessKeyId) => (accessKeyId === root.accessKeyId ? root.secretAccessKey : undefined),
        new Date(),
      );
      this.verified.set(request.raw, auth);
      this.onAuthenticated?.(request, auth.accessKeyId);
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
    const auth = this.verified.get(request.raw);
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
