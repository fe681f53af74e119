// Authorisation of S3 requests (docs/architecture.md §6 "Authorisation"): what each action
// needs, asked of the in-memory identity registry — no database round trip. A Record over
// every action, so adding an action to the routing table does not compile until someone has
// decided what it needs. Every refusal is 403 AccessDenied with the default message: it never
// says whether the object exists or what was missing. A bucket that does not exist is
// NoSuchBucket for everyone, as on AWS, where bucket names are public.
import type { BucketPermission, IdentityRegistry } from '@s3o/identity';
import { S3Error } from '@s3o/s3';
import type { S3Action } from './http/classify.js';

/**
 * `any`: a grant of any permission on the bucket (it shows in ListBuckets);
 * `service`: ListBuckets, which lists only what the caller sees;
 * `provision`: admin-provision (CreateBucket, DeleteBucket, decided by their actions).
 */
type Needs = BucketPermission | 'any' | 'service' | 'provision';

const NEEDS: Record<S3Action, Needs> = {
  ListBuckets: 'service',
  HeadBucket: 'any',
  GetBucketLocation: 'any',
  GetBucketVersioning: 'any',
  CreateBucket: 'provision',
  DeleteBucket: 'provision',
  ListObjects: 'list',
  ListObjectsV2: 'list',
  ListMultipartUploads: 'list',
  ListParts: 'list',
  GetObject: 'read',
  HeadObject: 'read',
  GetObjectAttributes: 'read',
  // CopyObject also needs `read` on its source, checked by the action once it knows the source.
  PutObject: 'write',
  CopyObject: 'write',
  CreateMultipartUpload: 'write',
  UploadPart: 'write',
  CompleteMultipartUpload: 'write',
  AbortMultipartUpload: 'write',
  DeleteObject: 'delete',
  DeleteObjects: 'delete',
  // Tag changes are gated by their own permission (x-amz-tagging on a write comes with `write`).
  GetObjectTagging: 'read',
  PutObjectTagging: 'tags',
  DeleteObjectTagging: 'tags',
  // UploadPartCopy also needs `read` on its source, checked by the action.
  UploadPartCopy: 'write',
  GetBucketCors: 'any',
};

export interface Principal {
  user: string;
  accessKeyId: string;
}

/** Throws NoSuchBucket or AccessDenied unless `user` may run `action` on `bucket`. */
export function authorizeAction(registry: IdentityRegistry, user: string, action: S3Action, bucket: string | null): void {
  const needs = NEEDS[action];
  if (needs === 'service') return;
  if (bucket === null) throw new S3Error('AccessDenied');
  if (needs === 'provision') {
    // Whether the bucket exists, and what an existing one answers, is the action's to say.
    if (!registry.allowsAdmin(user, 'admin-provision') && !(action === 'CreateBucket' && registry.seesBucket(user, bucket))) {
      throw new S3Error('AccessDenied');
    }
    return;
  }
  if (!registry.bucketExists(bucket)) throw new S3Error('NoSuchBucket', { extra: { BucketName: bucket } });
  const allowed = needs === 'any' ? registry.seesBucket(user, bucket) : registry.allowsBucket(user, bucket, needs);
  if (!allowed) throw new S3Error('AccessDenied');
}

/** Copy and other reads of a second bucket: the same rule for one permission. */
export function authorizeBucket(registry: IdentityRegistry, user: string, bucket: string, permission: BucketPermission): void {
  if (!registry.bucketExists(bucket)) throw new S3Error('NoSuchBucket', { extra: { BucketName: bucket } });
  if (!registry.allowsBucket(user, bucket, permission)) throw new S3Error('AccessDenied');
}
