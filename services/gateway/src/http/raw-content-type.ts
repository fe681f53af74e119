// S3 stores a PUT's Content-Type as sent, whatever it is — empty, or no media type at all —
// but fastify refuses a request whose Content-Type it cannot parse before any route runs
// (415, which our error handler would turn into a 500). The gateway never lets fastify parse
// a body, so such a header is taken out of fastify's sight when the request arrives and put
// back before the S3 handler verifies the signature and reads it.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

const HIDDEN = Symbol('s3o.hiddenContentType');
type WithHidden = IncomingMessage & { [HIDDEN]?: string };

/** What fastify accepts: `type/subtype` tokens, optionally followed by parameters. */
const PARSEABLE = /^\s*[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(;.*)?$/;

export function hideUnparseableContentType(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw as WithHidden;
    const value = raw.headers['content-type'];
    if (value !== undefined && !PARSEABLE.test(value)) {
      raw[HIDDEN] = value;
      delete raw.headers['content-type'];
    }
    done();
  });
}

/** Puts a hidden Content-Type back where the signature check and the write path read it. */
export function restoreContentType(req: IncomingMessage): void {
  const raw = req as WithHidden;
  if (raw[HIDDEN] !== undefined) raw.headers['content-type'] = raw[HIDDEN];
}
