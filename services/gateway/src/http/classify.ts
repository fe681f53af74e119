// The one routing table: method + addressing + subresource → S3 action. Anything that
// does not fall into a row is answered 501 NotImplemented by construction.
import type { S3Address } from './address.js';

export type S3Action =
  | 'ListBuckets'
  | 'HeadBucket' | 'GetBucketLocation' | 'GetBucketVersioning' | 'CreateBucket' | 'DeleteBucket'
  | 'ListObjects' | 'ListObjectsV2' | 'ListMultipartUploads' | 'DeleteObjects'
  | 'PutObject' | 'CopyObject' | 'GetObject' | 'HeadObject' | 'DeleteObject'
  | 'CreateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload' | 'AbortMultipartUpload' | 'ListParts'
  | 'GetObjectTagging' | 'PutObjectTagging' | 'DeleteObjectTagging' | 'UploadPartCopy' | 'GetBucketCors'
  | 'GetObjectAttributes';

export type Classification = { action: S3Action } | { action: null; reason: string };

/** Query parameters that select a different operation (a "subresource"). */
const SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering',
  'inventory', 'legal-hold', 'lifecycle', 'location', 'logging', 'metrics', 'notification', 'object-lock',
  'ownershipControls', 'partNumber', 'policy', 'policyStatus', 'publicAccessBlock', 'replication',
  'requestPayment', 'restore', 'retention', 'select', 'tagging', 'torrent', 'uploadId', 'uploads',
  'versioning', 'versions', 'website', 'session',
]);

function subresources(query: URLSearchParams): Set<string> {
  const found = new Set<string>();
  for (const name of query.keys()) if (SUBRESOURCES.has(name)) found.add(name);
  return found;
}

function only(found: Set<string>, ...allowed: string[]): boolean {
  for (const f of found) if (!allowed.includes(f)) return false;
  return allowed.every((a) => found.has(a));
}

export function classify(method: string, addr: S3Address, headers: Record<string, string | string[] | undefined>): Classification {
  const sub = subresources(addr.query);
  const none = sub.size === 0;
  const no = (reason: string): Classification => ({ action: null, reason });

  if (addr.bucket === null) {
    if (method === 'GET' && none) return { action: 'ListBuckets' };
    return no(`${method} on the service`);
  }

  if (addr.key === null) {
    switch (method) {
      case 'HEAD': return none ? { action: 'HeadBucket' } : no('HEAD with a subresource');
      case 'GET':
        if (none) return { action: addr.query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects' };
        if (only(sub, 'location')) return { action: 'GetBucketLocation' };
        if (only(sub, 'versioning')) return { action: 'GetBucketVersioning' };
        if (only(sub, 'uploads')) return { action: 'ListMultipartUploads' };
        if (only(sub, 'cors')) return { action: 'GetBucketCors' };
        return no(`bucket subresource ${[...sub].join(',')}`);
      case 'POST':
        if (only(sub, 'delete')) return { action: 'DeleteObjects' };
        return no('POST on the bucket');
      case 'PUT':
        if (none) return { action: 'CreateBucket' };
        return no(`PUT bucket ${[...sub].join(',')}`);
      case 'DELETE':
        return none ? { action: 'DeleteBucket' } : no(`DELETE bucket ${[...sub].join(',')}`);
      default:
        return no(`${method} on the bucket`);
    }
  }

  switch (method) {
    case 'GET':
      if (none || only(sub, 'partNumber')) return { action: 'GetObject' };
      if (only(sub, 'uploadId')) return { action: 'ListParts' };
      if (only(sub, 'tagging')) return { action: 'GetObjectTagging' };
      if (only(sub, 'attributes')) return { action: 'GetObjectAttributes' };
      return no(`object subresource ${[...sub].join(',')}`);
    case 'HEAD':
      return none || only(sub, 'partNumber') ? { action: 'HeadObject' } : no('HEAD object subresource');
    case 'PUT':
      if (none) return { action: headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject' };
      if (only(sub, 'partNumber', 'uploadId')) {
        return { action: headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart' };
      }
      if (only(sub, 'tagging')) return { action: 'PutObjectTagging' };
      return no(`PUT object ${[...sub].join(',')}`);
    case 'POST':
      if (only(sub, 'uploads')) return { action: 'CreateMultipartUpload' };
      if (only(sub, 'uploadId')) return { action: 'CompleteMultipartUpload' };
      return no('POST on the object');
    case 'DELETE':
      if (none) return { action: 'DeleteObject' };
      if (only(sub, 'uploadId')) return { action: 'AbortMultipartUpload' };
      if (only(sub, 'tagging')) return { action: 'DeleteObjectTagging' };
      return no('DELETE object subresource');
    default:
      return no(`${method} on an object`);
  }
}
