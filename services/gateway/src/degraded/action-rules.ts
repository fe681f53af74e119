// What each S3 action may do while the database breaker is open. Decided once per
// action, before the action runs (so before any byte of a body is read or any backend
// is touched): a write refused here has written nothing anywhere.
//
// A Record over every action, so adding an action to the routing table does not compile
// until someone has decided how it behaves without the database.
import { S3Error } from '@s3o/s3';
import type { S3Action } from '../http/classify.js';
import type { DatabaseBreaker } from './database-breaker.js';

/**
 * `config`:  answered from configuration alone; unaffected.
 * `read`:    GET/HEAD of an object; served from the backends (degraded-reader.ts).
 * `refuse`:  needs the ledger (writes, listings): 503 ServiceUnavailable at once.
 */
type WhileOpen = 'config' | 'read' | 'refuse';

const WHILE_OPEN: Record<S3Action, WhileOpen> = {
  ListBuckets: 'config',
  HeadBucket: 'config',
  GetBucketLocation: 'config',
  GetBucketVersioning: 'config',
  CreateBucket: 'config',
  GetBucketCors: 'config',
  GetObject: 'read',
  HeadObject: 'read',
  // Answered from the identity the degraded reader finds on the backends (as HEAD).
  GetObjectAttributes: 'read',
  // Listings cannot be rebuilt faithfully from the backends (displaced copies, deletes,
  // in-flight uploads all look alike there), so they are refused rather than guessed.
  ListObjects: 'refuse',
  ListObjectsV2: 'refuse',
  ListMultipartUploads: 'refuse',
  ListParts: 'refuse',
  PutObject: 'refuse',
  CopyObject: 'refuse',
  DeleteObject: 'refuse',
  DeleteObjects: 'refuse',
  CreateMultipartUpload: 'refuse',
  UploadPart: 'refuse',
  UploadPartCopy: 'refuse',
  CompleteMultipartUpload: 'refuse',
  AbortMultipartUpload: 'refuse',
  // Tags live only in the ledger.
  GetObjectTagging: 'refuse',
  PutObjectTagging: 'refuse',
  DeleteObjectTagging: 'refuse',
  DeleteBucket: 'refuse',
};

/** Throws ServiceUnavailable when the breaker is open and the action needs the database. */
export function refuseWhileDegraded(action: S3Action, breaker: DatabaseBreaker): void {
  if (breaker.isClosed || WHILE_OPEN[action] !== 'refuse') return;
  throw new S3Error('ServiceUnavailable', { message: 'The database is unreachable; only reads are served until it is back. Please retry.' });
}
