// The identity columns shared by `objects` and `multipart_uploads` (content type, user
// metadata, standard headers, content hash, stored size, encryption header) and their mapping to ObjectIdentity fields.
import type { ObjectIdentity, StandardHeaders, StoredChecksum } from '../../types.js';
import { int, type Params } from '../connection.js';
import { withTags } from '../../object-tags.js';

export type IdentityFields = Omit<ObjectIdentity, 'size' | 'etag'>;

export interface RawIdentityColumns {
  content_type: string;
  user_metadata: string;
  cache_control: string | null;
  content_disposition: string | null;
  content_encoding: string | null;
  content_language: string | null;
  expires: string | null;
  content_hash: string | null;
  stored_size: bigint | null;
  encryption: string | null;
  tags: string;
  part_sizes: string | null;
  checksum: string | null;
  part_hashes: string | null;
}

export const IDENTITY_COLUMNS =
  'content_type, user_metadata, cache_control, content_disposition, content_encoding, content_language, expires, content_hash, stored_size, encryption, tags, part_sizes, checksum, part_hashes';

export const IDENTITY_VALUES =
  '@contentType, @userMetadata, @cacheControl, @contentDisposition, @contentEncoding, @contentLanguage, @expires, @contentHash, @storedSize, @encryption, @tags, @partSizes, @checksum, @partHashes';

/** `SET` list that overwrites every identity column from `excluded` (upserts). */
export const IDENTITY_FROM_EXCLUDED = IDENTITY_COLUMNS.split(', ')
  .map((column) => `${column} = excluded.${column}`)
  .join(', ');

export function identityParams(identity: IdentityFields): Params {
  const h = identity.headers;
  return {
    contentType: identity.contentType,
    userMetadata: JSON.stringify(identity.userMetadata),
    cacheControl: h.cacheControl ?? null,
    contentDisposition: h.contentDisposition ?? null,
    contentEncoding: h.contentEncoding ?? null,
    contentLanguage: h.contentLanguage ?? null,
    expires: h.expires ?? null,
    contentHash: identity.contentHash ?? null,
    storedSize: identity.storedSize ?? null,
    encryption: identity.encryption ?? null,
    tags: JSON.stringify(identity.tags ?? {}),
    partSizes: identity.partSizes ? JSON.stringify(identity.partSizes) : null,
    checksum: identity.checksum ? JSON.stringify(identity.checksum) : null,
    partHashes: identity.partHashes ? JSON.stringify(identity.partHashes) : null,
  };
}

export function identityFromRow(r: RawIdentityColumns): IdentityFields {
  const headers: StandardHeaders = {};
  if (r.cache_control !== null) headers.cacheControl = r.cache_control;
  if (r.content_disposition !== null) headers.contentDisposition = r.content_disposition;
  if (r.content_encoding !== null) headers.contentEncoding = r.content_encoding;
  if (r.content_language !== null) headers.contentLanguage = r.content_language;
  if (r.expires !== null) headers.expires = r.expires;
  return {
    contentType: r.content_type,
    userMetadata: JSON.parse(r.user_metadata) as Record<string, string>,
    headers,
    contentHash: r.content_hash,
    ...(r.stored_size !== null ? { storedSize: int(r.stored_size) } : {}),
    ...(r.encryption !== null ? { encryption: r.encryption } : {}),
    ...withTags(JSON.parse(r.tags) as Record<string, string>),
    ...(r.part_sizes !== null ? { partSizes: JSON.parse(r.part_sizes) as number[] } : {}),
    ...(r.part_hashes !== null ? { partHashes: JSON.parse(r.part_hashes) as string[] } : {}),
    ...(r.checksum !== null ? { checksum: JSON.parse(r.checksum) as StoredChecksum } : {}),
  };
}
