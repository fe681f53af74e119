// Signs outgoing requests with AWS Signature Version 4 (Authorization header form).
import {
  ALGORITHM,
  amzDateOf,
  canonicalRequest,
  deriveSigningKey,
  signatureHex,
  stringToSign,
} from '@s3o/s3';

/**
 * Headers left out of the signature, as the AWS SDKs leave them out: proxies and the HTTP
 * stack may add, drop or rewrite them, which would break a signature over them.
 */
const UNSIGNABLE_HEADERS = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

export interface SignableRequest {
  method: string;
  /** Encoded path, sent as is and signed as is. */
  canonicalUri: string;
  /** Canonical query string (sorted, encoded); also sent as is. */
  canonicalQuery: string;
  /** Lower-case header names; must include `host`. Signing adds x-amz-date, x-amz-content-sha256, authorization. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD for streamed bodies. */
  payloadHash: string;
}

export class RequestSigner {
  /** The signing key changes once a day; deriving it costs four HMACs, so the last one is kept. */
  private cachedKey: { date: string; key: Buffer } | undefined;

  constructor(
    private readonly accessKeyId: string,
    private readonly secretAccessKey: string,
    private readonly region: string,
    private readonly service = 's3',
  ) {}

  sign(request: SignableRequest, now: Date = new Date()): void {
    const amzDate = amzDateOf(now);
    const date = amzDate.slice(0, 8);
    const headers = request.headers;
    headers['x-amz-date'] = amzDate;
    headers['x-amz-content-sha256'] = request.payloadHash;

    const signedHeaders = Object.keys(headers)
      .filter((name) => !UNSIGNABLE_HEADERS.has(name))
      .sort();
    const canonical = canonicalRequest({
      method: request.method,
      canonicalUri: request.canonicalUri,
      canonicalQuery: request.canonicalQuery,
      headers,
      signedHeaders,
      payloadHash: request.payloadHash,
    });
    const scope = `${date}/${this.region}/${this.service}/aws4_request`;
    const signature = signatureHex(this.signingKey(date), stringToSign(amzDate, scope, canonical));
    headers['authorization'] =
      `${ALGORITHM} Credential=${this.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  }

  private signingKey(date: string): Buffer {
    if (this.cachedKey?.date !== date) {
      this.cachedKey = { date, key: deriveSigningKey(this.secretAccessKey, date, this.region, this.service) };
    }
    return this.cachedKey.key;
  }
}
