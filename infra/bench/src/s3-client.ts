// The one client every scenario uses, direct and through the gateway alike, so the only
// difference between the two columns of the table is the gateway.
import http from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';

export type ChecksumMode =
  /** checksums only where an operation requires them: plain bodies (what the comparison uses) */
  | 'when-required'
  /** the SDK's default (CRC32 on uploads, aws-chunked with a trailer for streamed bodies) */
  | 'default';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface BenchClient {
  s3: S3Client;
  /** Closes the pooled connections. */
  close(): void;
}

/** More sockets than any scenario's concurrency, so no request waits for a socket. */
const MAX_SOCKETS = 64;

export function createBenchClient(endpoint: string, credentials: Credentials, checksums: ChecksumMode): BenchClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS });
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    ...(checksums === 'when-required'
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
    // A failed call is counted as an error, never retried into a slower success.
    maxAttempts: 1,
    requestHandler: { httpAgent: agent },
  });
  return {
    s3,
    close: () => {
      s3.destroy();
      agent.destroy();
    },
  };
}
