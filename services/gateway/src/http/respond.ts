// Writing S3 answers: XML bodies, empty bodies and errors, each with the request id.
import type { FastifyReply } from 'fastify';
import { S3Error, errorXml } from '@s3o/s3';

export function sendXml(reply: FastifyReply, status: number, xml: string): void {
  const body = Buffer.from(xml, 'utf8');
  reply.code(status).header('content-type', 'application/xml').header('content-length', body.length).send(body);
}

export function sendEmpty(reply: FastifyReply, status: number): void {
  reply.code(status).header('content-length', 0).send();
}

/** Errors a client can cause carry their S3 code; anything else is an InternalError. */
export function toS3Error(err: unknown): S3Error {
  if (err instanceof S3Error) return err;
  return new S3Error('InternalError');
}

/** Headers an error answer keeps; any other (an object's, set before the failure) is dropped. */
const ERROR_HEADERS = new Set(['x-amz-request-id', 'x-amz-id-2', 'server', 'connection', 'retry-after']);

export function sendError(reply: FastifyReply, err: S3Error, requestId: string, resource: string, isHead: boolean): void {
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  // An error answer carries only its own headers, so it can never fail on a header it did
  // not choose (an object's metadata, set before the failure).
  // CORS headers stay, so a browser script can read the error (http/cors.ts).
  for (const name of Object.keys(reply.getHeaders())) {
    if (!ERROR_HEADERS.has(name) && !name.startsWith('access-control-') && name !== 'vary') reply.removeHeader(name);
  }
  reply.code(err.status);
  for (const [name, value] of Object.entries(err.headers ?? {})) reply.header(name, value);
  if (err.status === 304 || isHead) {
    // HEAD and 304 answers carry no body (S3 sends just the status).
    reply.header('content-length', 0).send();
    return;
  }
  const body = Buffer.from(errorXml(err, requestId, resource), 'utf8');
  reply.header('content-type', 'application/xml').header('content-length', body.length).send(body);
}
