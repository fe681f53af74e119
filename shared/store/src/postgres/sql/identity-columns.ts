// The identity columns shared by `objects` and `multipart_uploads` (content type, user
// metadata, standard headers, content hash, stored size, encryption header) and their mapping to ObjectIdentity fields.
import { sql } from 'slonik';
import { z } from 'zod';
import type { ObjectIdentity, StandardHeaders } from '../../types.js';
import { int8, jsonParam, type Fragment } from '../columns.js';
import { withTags } from '../../object-tags.js';

export type IdentityFields = Omit<ObjectIdentity, 'size' | 'etag'>;

/** StoredChecksum as kept in a JSONB column (and inside an intent's identity). */
export const storedChecksum = z.object({
  algorithm: z.enum(['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256']),
  type: z.enum(['COMPOSITE', 'FULL_OBJECT']),
  value: z.string().optional(),
  parts: z.array(z.string()).optional(),
});

/** The zod shape of the identity columns, to spread into a row schema. */
export const identityShape = {
  content_type: z.string(),
  user_metadata: z.record(z.string()),
  cache_control: z.string().nullable(),
  content_disposition: z.string().nullable(),
  content_encoding: z.string().nullable(),
  content_language: z.string().nullable(),
  expires: z.string().nullable(),
  content_hash: z.string().nullable(),
  stored_size: int8.nullable(),
  encryption: z.string().nullable(),
  tags: z.record(z.string()),
  part_sizes: z.array(z.number().int().nonnegative()).nullable(),
  checksum: storedChecksum.nullable(),
  part_hashes: z.array(z.string()).nullable(),
};

type IdentityColumns = z.infer<z.ZodObject<typeof identityShape>>;

export const IDENTITY_COLUMNS = sql.fragment`content_type, user_metadata, cache_control, content_disposition,
  content_encoding, content_language, expires, content_hash, stored_size, encryption, tags, part_sizes, checksum, part_hashes`;

/** `SET` list that overwrites every identity column from `EXCLUDED` (upserts). */
export const IDENTITY_FROM_EXCLUDED = sql.fragment`content_type = EXCLUDED.content_type,
  user_metadata = EXCLUDED.user_metadata, cache_control = EXCLUDED.cache_control,
  content_disposition = EXCLUDED.content_disposition, content_encoding = EXCLUDED.content_encoding,
  content_language = EXCLUDED.content_language, expires = EXCLUDED.expires, content_hash = EXCLUDED.content_hash,
  stored_size = EXCLUDED.stored_size, encryption = EXCLUDED.encryption, tags = EXCLUDED.tags, part_sizes = EXCLUDED.part_sizes,
  checksum = EXCLUDED.checksum, part_hashes = EXCLUDED.part_hashes`;

/** The values for IDENTITY_COLUMNS, in that order. */
export function identityValues(identity: IdentityFields): Fragment {
  const h = identity.headers;
  return sql.fragment`${identity.contentType}, ${jsonParam(identity.userMetadata, 'jsonb')},
    ${h.cacheControl ?? null}, ${h.contentDisposition ?? null}, ${h.contentEncoding ?? null},
    ${h.contentLanguage ?? null}, ${h.expires ?? null}, ${identity.contentHash ?? null},
    ${identity.storedSize ?? null}, ${identity.encryption ?? null},
    ${jsonParam(identity.tags ?? {}, 'jsonb')}, ${identity.partSizes ? jsonParam(identity.partSizes, 'jsonb') : null},
    ${identity.checksum ? jsonParam(identity.checksum, 'jsonb') : null},
    ${identity.partHashes ? jsonParam(identity.partHashes, 'jsonb') : null}`;
}

export function identityFromRow(r: IdentityColumns): IdentityFields {
  const headers: StandardHeaders = {};
  if (r.cache_control !== null) headers.cacheControl = r.cache_control;
  if (r.content_disposition !== null) headers.contentDisposition = r.content_disposition;
  if (r.content_encoding !== null) headers.contentEncoding = r.content_encoding;
  if (r.content_language !== null) headers.contentLanguage = r.content_language;
  if (r.expires !== null) headers.expires = r.expires;
  return {
    contentType: r.content_type, userMetadata: r.user_metadata, headers, contentHash: r.content_hash, ...withTags(r.tags),
    ...(r.part_sizes !== null ? { partSizes: r.part_sizes } : {}),
    ...(r.part_hashes !== null ? { partHashes: r.part_hashes } : {}),
    ...(r.checksum !== null ? { checksum: r.checksum } : {}),
    ...(r.stored_size !== null ? { storedSize: r.stored_size } : {}),
    ...(r.encryption !== null ? { encryption: r.encryption } : {}),
  };
}
