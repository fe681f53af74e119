// AWS SDK v3 clients as the tests use them: one kind pointed at the gateway (with the SDK's
// default checksum behaviour, which is what applications really send), one at a raw s3rver.
import { S3Client } from '@aws-sdk/client-s3';
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
  });
}
