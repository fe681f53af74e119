// Where a request for a bucket or an object goes: connection target, Host header and path.
// The path is built once, already encoded, and serves both as the request path and as the
// SigV4 canonical URI (S3 signs the path encoded exactly once, '/' kept, no normalization),
// so keys with `//`, spaces, `+`, `%`, `?`, `#` or any UTF-8 reach the backend unchanged.
import { uriEncode } from '@s3o/s3';

export class Addressing {
  readonly protocol: 'http:' | 'https:';
  /** Host name to connect to (the virtual host in virtual-host style). */
  readonly hostname: string;
  readonly port: number;
  /** Host header value (with the port when it is not the scheme's default). */
  readonly hostHeader: string;
  /** Encoded path of the bucket's root: `/[base]/bucket` (path style) or `/[base]` (virtual host). */
  private readonly bucketRoot: string;
  private readonly encodedBucket: string;

  constructor(endpoint: string, bucket: string, forcePathStyle: boolean) {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`backend endpoint must be http(s): ${endpoint}`);
    }
    if (!bucket) throw new TypeError('backend bucket must not be empty');
    this.protocol = url.protocol;
    this.port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    this.encodedBucket = uriEncode(bucket);
    // URL keeps the base path percent-encoded already; only a trailing '/' is dropped.
    const basePath = url.pathname.replace(/\/+$/, '');
    if (forcePathStyle) {
      this.hostname = url.hostname;
      this.hostHeader = url.host;
      this.bucketRoot = `${basePath}/${this.encodedBucket}`;
    } else {
      this.hostname = `${bucket}.${url.hostname}`;
      this.hostHeader = `${bucket}.${url.host}`;
      this.bucketRoot = basePath;
    }
  }

  /** Path for bucket-level requests (HeadBucket, ListObjectsV2). */
  bucketPath(): string {
    return this.bucketRoot || '/';
  }

  objectPath(key: string): string {
    if (typeof key !== 'string' || key.length === 0) throw new TypeError('object key must be a non-empty string');
    return `${this.bucketRoot}/${uriEncode(key, true)}`;
  }

  /** `x-amz-copy-source` value for a key in this bucket: `/bucket/key`, URL-encoded as S3 requires. */
  copySource(key: string): string {
    if (typeof key !== 'string' || key.length === 0) throw new TypeError('object key must be a non-empty string');
    return `/${this.encodedBucket}/${uriEncode(key, true)}`;
  }
}
