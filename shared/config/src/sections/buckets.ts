// `buckets[]`: the virtual buckets clients see, each with the credentials that may use it.

import { isIP } from 'node:net';
import { z } from 'zod';
import { integer, list, optionalInteger, requiredText } from '../fields.js';
import { formatKeyPath } from '../key-path.js';
import { defineSection, reportDuplicates } from '../section.js';
import { credentialSchema, toCredential, type Credential } from './auth.js';

/** One CORS rule of a bucket, as AWS's CORSRule. */
export interface CorsRule {
  /** origins, each with at most one `*` wildcard */
  allowedOrigins: string[];
  allowedMethods: CorsMethod[];
  /** request headers a preflight may name, lower-cased, `*` wildcards */
  allowedHeaders: string[];
  exposeHeaders: string[];
  /** seconds; null = no Access-Control-Max-Age */
  maxAgeSeconds: number | null;
}

export const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;
export type CorsMethod = (typeof CORS_METHODS)[number];

export interface BucketConfig {
  name: string;
  credentials: Credential[];
  /** 0 = unlimited. */
  maxMultipartUploads: number;
  cors: CorsRule[];
}

/**
 * The gateway's own routes (`/admin/…`, `/health…`, `/metrics`, `/ui/…`) share the S3
 * port, so a virtual bucket with one of these names could never be reached by path-style
 * requests.
 */
export const RESERVED_BUCKET_NAMES: ReadonlySet<string> = new Set(['admin', 'health', 'metrics', 'ui']);

/**
 * AWS's bucket naming rules, so any S3 client accepts the name in both addressing styles; also
 * what a bucket made at run time is checked against. Null when the name is fine.
 */
export function bucketNameProblem(name: string): string | null {
  const quoted = JSON.stringify(name);
  if (RESERVED_BUCKET_NAMES.has(name)) {
    return `${quoted} is reserved (the gateway serves /${name} on the S3 port)`;
  }
  const invalid =
    name.length < 3 ||
    name.length > 63 ||
    !/^[a-z0-9.-]+$/.test(name) ||
    !/^[a-z0-9]/.test(name) ||
    !/[a-z0-9]$/.test(name) ||
    name.includes('..') ||
    isIP(name) !== 0;
  return invalid ? `${quoted} is not a valid S3 bucket name` : null;
}

const corsRule = z.object({
  allowed_origins: list(requiredText((o) => (o.split('*').length > 2 ? `${JSON.stringify(o)} has more than one "*"` : null))),
  allowed_methods: list(requiredText((m) => ((CORS_METHODS as readonly string[]).includes(m) ? null : `${JSON.stringify(m)} is not one of ${CORS_METHODS.join(', ')}`))),
  allowed_headers: list(requiredText()),
  expose_headers: list(requiredText()),
  max_age: optionalInteger({ min: 0 }),
});

const bucket = z.object({
  name: requiredText(bucketNameProblem),
  credentials: list(credentialSchema),
  max_multipart_uploads: integer(0, { min: 0 }),
  cors: list(corsRule),
});

const schema = list(bucket);

type Reads = { buckets: z.output<typeof schema> };

export const bucketsSection = defineSection({
  key: 'buckets',
  field: 'buckets',
  schema,
  normalise: ({ buckets }: Reads): BucketConfig[] =>
    buckets.map((b) => ({
      name: b.name,
      credentials: b.credentials.map(toCredential),
      maxMultipartUploads: b.max_multipart_uploads,
      cors: b.cors.map((r) => ({
        allowedOrigins: r.allowed_origins,
        allowedMethods: r.allowed_methods as CorsMethod[],
        allowedHeaders: r.allowed_headers.map((h) => h.toLowerCase()),
        exposeHeaders: r.expose_headers,
        maxAgeSeconds: r.max_age,
      })),
    })),
  checkCounts({ buckets }: Reads, report) {
    if (buckets.length === 0) report(['buckets'], 'at least one bucket is required');
  },
  check({ buckets }: Reads, report) {
    buckets.forEach((b, i) => {
      if (b.credentials.length === 0) report(['buckets', i, 'credentials'], 'at least one credential is required');
      b.cors.forEach((r, j) => {
        if (r.allowed_origins.length === 0) report(['buckets', i, 'cors', j, 'allowed_origins'], 'at least one origin is required');
        if (r.allowed_methods.length === 0) report(['buckets', i, 'cors', j, 'allowed_methods'], 'at least one method is required');
      });
    });
    reportDuplicates(
      buckets.map((b, i) => ({ value: b.name, path: ['buckets', i, 'name'] })),
      (name, first) => `duplicate bucket name ${JSON.stringify(name)} (also ${formatKeyPath(first)})`,
      report,
    );
  },
});
