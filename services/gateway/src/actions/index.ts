// One module per S3 action; this table is the only place that knows them all.
import type { RequestContext } from '../context.js';
import type { S3Action } from '../http/classify.js';
import { createBucket, getBucketCors, deleteBucket, getBucketLocation, getBucketVersioning, headBucket, listBuckets } from './bucket.js';
import { listObjectsV1, listObjectsV2 } from './list-objects.js';
import { getObject, headObject } from './get-object.js';
import { putObject } from './put-object.js';
import { copyObject } from './copy-object.js';
import { deleteObject } from './delete-object.js';
import { deleteObjects } from './delete-objects.js';
import { uploadPartCopy } from './upload-part-copy.js';
import { getObjectAttributes } from './object-attributes.js';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './object-tagging.js';
import {
  abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listMultipartUploads, listParts, uploadPart,
} from './multipart.js';

export const actions: Record<S3Action, (ctx: RequestContext) => Promise<void>> = {
  ListBuckets: listBuckets,
  HeadBucket: headBucket,
  GetBucketLocation: getBucketLocation,
  GetBucketVersioning: getBucketVersioning,
  CreateBucket: createBucket,
  GetBucketCors: getBucketCors,
  DeleteBucket: deleteBucket,
  ListObjects: listObjectsV1,
  ListObjectsV2: listObjectsV2,
  ListMultipartUploads: listMultipartUploads,
  DeleteObjects: deleteObjects,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: headObject,
  GetObjectAttributes: getObjectAttributes,
  DeleteObject: deleteObject,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  GetObjectTagging: getObjectTagging,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
};
