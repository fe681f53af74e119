// Bucket-level answers. Virtual buckets are defined by configuration, so there is
// nothing to create or delete through the API; these report what the config says.
import { escapeXml } from '@s3o/s3';
import { bucketTarget, type RequestContext } from '../context.js';
import { corsConfigurationXml } from '../http/cors.js';
import { sendEmpty, sendXml } from '../http/respond.js';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** Buckets exist as long as the configuration says so; report when this process first saw them. */
const PROCESS_START = new Date().toISOString();

export async function listBuckets(ctx: RequestContext): Promise<void> {
  const visible = ctx.deps.config.buckets.filter((b) => b.credentials.some((c) => c.accessKeyId === ctx.auth.accessKeyId));
  const items = visible
    .map((b) => `<Bucket><Name>${escapeXml(b.name)}</Name><CreationDate>${PROCESS_START}</CreationDate></Bucket>`)
    .join('');
  sendXml(ctx.reply, 200,
    `<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="${XMLNS}"><Owner><ID>${escapeXml(ctx.auth.accessKeyId)}</ID>` +
    `<DisplayName>${escapeXml(ctx.auth.accessKeyId)}</DisplayName></Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`);
}

export async function headBucket(ctx: RequestContext): Promise<void> {
  ctx.reply.header('x-amz-bucket-region', ctx.auth.region);
  sendEmpty(ctx.reply, 200);
}

export async function getBucketLocation(ctx: RequestContext): Promise<void> {
  // us-east-1 is reported as an empty constraint, as AWS does; other regions by name.
  const region = ctx.auth.region === 'us-east-1' ? '' : escapeXml(ctx.auth.region);
  sendXml(ctx.reply, 200, `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="${XMLNS}">${region}</LocationConstraint>`);
}

export async function getBucketVersioning(ctx: RequestContext): Promise<void> {
  // Versioning is not offered: an empty configuration means "never enabled".
  sendXml(ctx.reply, 200, `<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="${XMLNS}"/>`);
}

/**
 * CreateBucket on a configured bucket the caller owns answers 200, as us-east-1 does for
 * BucketAlreadyOwnedByYou — tools such as rclone create the bucket before uploading.
 */
export async function createBucket(ctx: RequestContext): Promise<void> {
  bucketTarget(ctx);
  ctx.reply.header('location', `/${ctx.bucket}`);
  sendEmpty(ctx.reply, 200);
}

/** GetBucketCors: the bucket's `cors` rules from the configuration (http/cors.ts). */
export async function getBucketCors(ctx: RequestContext): Promise<void> {
  sendXml(ctx.reply, 200, corsConfigurationXml(ctx.deps.config, bucketTarget(ctx)));
}
