// AWS SDK v3 clients as the tests use them: one kind pointed at the gateway (with the SDK's
// default checksum behaviour, which is what applications really send), one at a raw s3rver.
import { Agent } from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import type { BuildHandlerArguments, BuildMiddleware, HandlerExecutionContext, MetadataBearer } from '@smithy/types';
import type { Credential } from './config-text.js';

export type ChecksumMode =
  /** The SDK default (WHEN_SUPPORTED): CRC32 on every upload, aws-chunked trailers for streams. */
  | 'default'
  /** Checksums only where an operation requires them (plain bodies, no trailers). */
  | 'when-required';

export interface GatewayClientOptions {
  checksums?: ChecksumMode;
  /** Another credential than the bucket's own (wrong secret, unknown key id, other bucket's key). */
  credentials?: Credential;
  /** 1 disables the SDK's retries, for tests that want to see the first answer. */
  maxAttempts?: number;
}

export function gatewayClient(url: string, credentials: Credential, options: GatewayClientOptions = {}): S3Client {
  const whenRequired = options.checksums === 'when-required';
  return new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: options.credentials ?? credentials,
    ...(whenRequired ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
  });
}

/**
 * A client for an s3rver itself. s3rver stores aws-chunked framing as object data, so
 * nothing may be sent with trailers; retries are off so a dead backend answers at once.
 * Without retries, a kept-alive connection would be a trap: one idle for as long as the
 * server's keep-alive timeout (5 s; or one a frozen backend closes as it resumes) is
 * closed by the server just as a request goes out on it, and the request fails with
 * "socket hang up". A connection per request costs nothing on loopback.
 */
export function s3rverClient(endpoint: string, credentials: Credential): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
  });
}

/** Commands that write: PutObject, CopyObject, CreateMultipartUpload, UploadPart(Copy), CompleteMultipartUpload, … */
const WRITE_COMMAND = /^(Put|Copy|Create|Upload|Complete)\w*Command$/;

/**
 * Sends every command that does not write to `readUrl` instead of the client's endpoint,
 * so one client exercises two gateways the way a load balancer would: what one gateway
 * wrote, another must read, list and delete (docs/architecture.md §2: gateways are stateless, the
 * ledger is shared). Presigned URLs follow the same rule. The host is changed before the
 * SDK derives the Host header from it, so the signature covers the gateway really called.
 */
export function routeReadsTo(client: S3Client, readUrl: string): S3Client {
  const target = new URL(readUrl);
  const route: BuildMiddleware<object, MetadataBearer> =
    (next, context: HandlerExecutionContext) =>
    async (args: BuildHandlerArguments<object>) => {
      const command = context.commandName;
      if (!command) throw new Error('the SDK passed no command name: cannot tell a write from a read');
      if (!WRITE_COMMAND.test(command) && isHttpRequest(args.request)) {
        args.request.hostname = target.hostname;
        args.request.port = Number(target.port);
      }
      return next(args);
    };
  client.middlewareStack.addRelativeTo(route, {
    name: 'e2eRouteReadsToSecondGateway',
    relation: 'before',
    toMiddleware: 'hostHeaderMiddleware',
    override: true,
  });
  return client;
}

function isHttpRequest(request: unknown): request is { hostname: string; port?: number } {
  return typeof request === 'object' && request !== null && typeof (request as { hostname?: unknown }).hostname === 'string';
}
