// Bucket-level answers. Buckets come from the config file or were made at run time (stored in
// the ledger); which ones a caller sees, and whether it may make or remove one, is the
// identity registry's to say (docs/architecture.md §6 "Authorisation").
import { bucketNameProblem } from '@s3o/config';
import { IdentityError } from '@s3o/store';
import { S3Error, escapeXml } from '@s3o/s3';
import { bucketTarget, type RequestContext } from '../context.js';
import { corsConfigurationXml } from '../http/cors.js';
import { sendEmpty, sendXml } from '../http/respond.js';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** Config buckets exist as long as the configuration says so; report when this process first saw them. */
const PROCESS_START = new Date().toISOString();

/** The buckets the caller holds a grant on (auth.root: every bucket). */
export async function listBuckets(ctx: RequestContext): Promise<void> {
  const registry = ctx.identity.registry;
  const items = registry.visibleBuckets(ctx.principal.user)
    .map((name) => {
      const created = registry.bucketCreatedAt(name);
      return `<Bucket><Name>${escapeXml(name)}</Name><CreationDate>${created === null ? PROCESS_START : new Date(created).toISOString()}</CreationDate></Bucket>`;
    })
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

function configuredResources(ctx: RequestContext) {
  return {
    buckets: new Set(ctx.deps.config.buckets.map((b) => b.name)),
    backends: new Set(ctx.deps.config.backends.map((b) => b.name)),
  };
}

/**
 * CreateBucket: a bucket the caller already sees answers 200, as us-east-1 does for
 * BucketAlreadyOwnedByYou — tools such as rclone create the bucket before uploading. A new one
 * needs admin-provision (checked in authorize.ts) and is stored in the ledger; the caller gets
 * no grant on it by making it.
 */
export async function createBucket(ctx: RequestContext): Promise<void> {
  const bucket = bucketTarget(ctx);
  const registry = ctx.identity.registry;
  if (!registry.bucketExists(bucket)) {
    const problem = bucketNameProblem(bucket);
    if (problem !== null) throw new S3Error('InvalidBucketName', { message: `The specified bucket is not valid: ${problem}.`, extra: { BucketName: bucket } });
    try {
      await ctx.deps.ledger.identity.createBucket(bucket, configuredResources(ctx));
    } catch (err) {
      if (!(err instanceof IdentityError && err.reason === 'conflict')) throw err;
    }
    // This gateway answers from the registry at once; the others rebuild on identity.changed.
    await ctx.identity.refresh();
  } else if (!registry.seesBucket(ctx.principal.user, bucket)) {
    throw new S3Error('BucketAlreadyExists', { extra: { BucketName: bucket } });
  }
  ctx.reply.header('location', `/${bucket}`);
  sendEmpty(ctx.reply, 200);
}

/**
 * DeleteBucket (admin-provision): a stored bucket that holds nothing and that no grant names.
 * A config bucket is the config file's to remove.
 */
export async function deleteBucket(ctx: RequestContext): Promise<void> {
  const bucket = bucketTarget(ctx);
  const registry = ctx.identity.registry;
  if (!registry.bucketExists(bucket)) throw new S3Error('NoSuchBucket', { extra: { BucketName: bucket } });
  if (registry.isConfigBucket(bucket)) {
    throw new S3Error('AccessDenied', { message: `Bucket ${bucket} is defined in the config file; remove it there.` });
  }
  try {
    await ctx.deps.ledger.identity.deleteBucket(bucket);
  } catch (err) {
    if (!(err instanceof IdentityError)) throw err;
    if (err.reason === 'not-found') throw new S3Error('NoSuchBucket', { extra: { BucketName: bucket } });
    throw new S3Error('BucketNotEmpty', { message: err.message, extra: { BucketName: bucket } });
  }
  await ctx.identity.refresh();
  sendEmpty(ctx.reply, 204);
}

/** GetBucketCors: the bucket's `cors` rules from the configuration (http/cors.ts). */
export async function getBucketCors(ctx: RequestContext): Promise<void> {
  sendXml(ctx.reply, 200, corsConfigurationXml(ctx.deps.config, bucketTarget(ctx)));
}
