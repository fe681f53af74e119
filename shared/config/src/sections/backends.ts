// `backends[]`: the S3-compatible providers behind the gateway, each with its quota, object
// size cap and monthly usage limits.

import { z } from 'zod';
import { boolean, integer, list, optionalText, requiredText, size, textOr } from '../fields.js';
import { formatKeyPath } from '../key-path.js';
import { httpUrlProblem, plainNameProblem } from '../names.js';
import { defineSection, reportDuplicates } from '../section.js';

export interface BackendConfig {
  name: string;
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** 0 = unlimited. */
  quotaBytes: number;
  /** 0 = no cap of its own (server.maxObjectSize still applies). */
  maxObjectSize: number;
  /** Monthly API requests to this backend; 0 = unlimited. */
  apiRequestLimit: number;
  /** Monthly bytes fetched from this backend; 0 = unlimited. */
  egressByteLimit: number;
  /** Monthly bytes sent to this backend; 0 = unlimited. */
  ingressByteLimit: number;
  /** PEM file of the CA(s) that sign this provider's certificate (https endpoints); null = the system's CAs. */
  caFile: string | null;
}

const backend = z.object({
  name: requiredText(plainNameProblem),
  endpoint: requiredText(httpUrlProblem),
  region: textOr('us-east-1'),
  bucket: requiredText(),
  access_key_id: requiredText(),
  secret_access_key: requiredText(),
  force_path_style: boolean(true),
  quota_bytes: size(0, { allowZero: true }),
  max_object_size: size(0, { allowZero: true }),
  // Monthly usage limits (shared/backends/src/usage/); 0 = unlimited.
  api_request_limit: integer(0, { min: 0 }),
  egress_byte_limit: size(0, { allowZero: true }),
  ingress_byte_limit: size(0, { allowZero: true }),
  ca_file: optionalText(),
});

const schema = list(backend);

type Reads = { backends: z.output<typeof schema> };

export const backendsSection = defineSection({
  key: 'backends',
  field: 'backends',
  schema,
  normalise: ({ backends }: Reads): BackendConfig[] =>
    backends.map((b) => ({
      name: b.name,
      endpoint: b.endpoint,
      region: b.region,
      bucket: b.bucket,
      accessKeyId: b.access_key_id,
      secretAccessKey: b.secret_access_key,
      forcePathStyle: b.force_path_style,
      quotaBytes: b.quota_bytes,
      maxObjectSize: b.max_object_size,
      apiRequestLimit: b.api_request_limit,
      egressByteLimit: b.egress_byte_limit,
      ingressByteLimit: b.ingress_byte_limit,
      caFile: b.ca_file,
    })),
  checkCounts({ backends }: Reads, report) {
    if (backends.length === 0) report(['backends'], 'at least one backend is required');
  },
  check({ backends }: Reads, report) {
    backends.forEach((b, i) => {
      if (typeof b.ca_file === 'string' && typeof b.endpoint === 'string' && !b.endpoint.startsWith('https:')) {
        report(['backends', i, 'ca_file'], 'only used with an https:// endpoint');
      }
    });
    reportDuplicates(
      backends.map((b, i) => ({ value: b.name, path: ['backends', i, 'name'] })),
      (name, first) => `duplicate backend name ${JSON.stringify(name)} (also ${formatKeyPath(first)})`,
      report,
    );
  },
});
