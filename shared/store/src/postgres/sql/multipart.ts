// multipart_uploads and multipart_parts.
import { sql } from 'slonik';
import { z } from 'zod';
import type { ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { MultipartPartRow, MultipartUploadRow } from '../../types.js';
import { int4, int8, keyBound } from '../columns.js';
import type { Queries } from '../queries.js';
import { IDENTITY_COLUMNS, identityFromRow, identityShape, identityValues } from './identity-columns.js';
import { listHoldings, type HoldingTable } from './holding-pages.js';

const uploadRow = z
  .object({
    upload_id: z.string(),
    object_key: z.string(),
    backend_name: z.string(),
    backend_upload_id: z.string(),
    storage_key: z.string(),
    ...identityShape,
    created_at: int8,
  })
  .transform((r): MultipartUploadRow => ({
    uploadId: r.upload_id,
    objectKey: r.object_key,
    backendName: r.backend_name,
    backendUploadId: r.backend_upload_id,
    storageKey: r.storage_key,
    identity: identityFromRow(r),
    createdAt: r.created_at,
  }));

const partRow = z
  .object({
    upload_id: z.string(),
    part_number: int4,
    etag: z.string().nullable(),
    backend_etag: z.string().nullable(),
    size_bytes: int8,
    plaintext_size: int8.nullable(),
    checksum: z.string().nullable(),
    sha256: z.string().nullable(),
    created_at: int8,
  })
  .transform((r): MultipartPartRow => ({
    uploadId: r.upload_id,
    partNumber: r.part_number,
    etag: r.etag,
    backendEtag: r.backend_etag,
    sizeBytes: r.size_bytes,
    ...(r.plaintext_size !== null ? { plaintextSize: r.plaintext_size } : {}),
    ...(r.checksum !== null ? { checksum: r.checksum } : {}),
    ...(r.sha256 !== null ? { sha256: r.sha256 } : {}),
    createdAt: r.created_at,
  }));

const UPLOAD_COLUMNS = sql.fragment`upload_id, object_key, backend_name, backend_upload_id, storage_key, ${IDENTITY_COLUMNS}, created_at`;
const PART_COLUMNS = sql.fragment`upload_id, part_number, etag, backend_etag, size_bytes, plaintext_size, checksum, sha256, created_at`;

const UPLOAD_HOLDINGS: HoldingTable = {
  kind: 'upload', table: 'multipart_uploads', rowColumn: 'upload_id', numericRow: false,
  objectKey: sql.fragment`t.object_key`,
  // SUM(bigint) is numeric: cast back, so an overflow fails instead of rounding.
  size: sql.fragment`(SELECT COALESCE(SUM(p.size_bytes), 0) FROM multipart_parts p WHERE p.upload_id = t.upload_id)::bigint`,
};

type MultipartReads = Pick<ReadStatements, 'selectUpload' | 'selectParts' | 'listUploads' | 'listStaleUploads' | 'listUploadHoldings'>;

export function multipartReads(db: Queries): MultipartReads {
  return {
    async selectUpload(uploadId) {
      return db.maybeOne(sql.type(uploadRow)`SELECT ${UPLOAD_COLUMNS} FROM multipart_uploads WHERE upload_id = ${uploadId}`);
    },

    async selectParts(uploadId) {
      return [
        ...(await db.any(sql.type(partRow)`
          SELECT ${PART_COLUMNS} FROM multipart_parts WHERE upload_id = ${uploadId} ORDER BY part_number`)),
      ];
    },

    // Keys in [from, to) by (object_key, upload_id); with `afterUploadId`, key `from` resumes after that upload.
    async listUploads(from, to, afterUploadId, limit) {
      const key = sql.fragment`object_key`;
      const start =
        afterUploadId === null
          ? keyBound(key, '>=', from)
          : sql.fragment`(${keyBound(key, '>', from)}
                          OR (${keyBound(key, '=', from)} AND ${keyBound(sql.fragment`upload_id`, '>', afterUploadId)}))`;
      const end = to === null ? sql.fragment`TRUE` : keyBound(key, '<', to);
      return [
        ...(await db.any(sql.type(uploadRow)`
          SELECT ${UPLOAD_COLUMNS} FROM multipart_uploads
           WHERE ${start} AND ${end}
           ORDER BY object_key, upload_id LIMIT ${limit}`)),
      ];
    },

    // A part reserved or recorded since `before` (parts carry the time of their last change)
    // means the upload is still in use, however old it is.
    async listStaleUploads(before, limit) {
      return [
        ...(await db.any(sql.type(uploadRow)`
          SELECT ${UPLOAD_COLUMNS} FROM multipart_uploads u
           WHERE u.created_at < ${before}
             AND NOT EXISTS (SELECT 1 FROM multipart_parts p WHERE p.upload_id = u.upload_id AND p.created_at >= ${before})
           ORDER BY u.created_at, u.upload_id LIMIT ${limit}`)),
      ];
    },

    async listUploadHoldings(backendName, page) {
      return listHoldings(db, UPLOAD_HOLDINGS, backendName, page);
    },
  };
}

type MultipartWrites = Pick<
  TxStatements,
  'insertUpload' | 'countUploadsLocked' | 'lockUpload' | 'deleteUpload' | 'selectPart' | 'upsertPart' | 'deletePart' | 'deleteParts'
>;

export function multipartWrites(db: Queries): MultipartWrites {
  return {
    async insertUpload(row) {
      await db.query(sql.unsafe`
        INSERT INTO multipart_uploads (${UPLOAD_COLUMNS})
        VALUES (${row.uploadId}, ${row.objectKey}, ${row.backendName}, ${row.backendUploadId}, ${row.storageKey},
                ${identityValues(row.identity)}, ${row.createdAt})`);
    },

    // No row stands for "the uploads of a bucket", so the range is locked by name: an advisory
    // transaction lock on its hash (a collision only serialises two ranges needlessly).
    async countUploadsLocked(from, to) {
      await db.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtextextended(${`multipart-uploads:${from}`}, 0))`);
      return (await db.one(sql.type(z.object({ n: int8 }))`
        SELECT COUNT(*) AS n FROM multipart_uploads WHERE object_key >= ${from} AND object_key < ${to}`)).n;
    },

    // Part claims, records, completion and abort of one upload are serialised by this lock.
    async lockUpload(uploadId) {
      return db.maybeOne(sql.type(uploadRow)`
        SELECT ${UPLOAD_COLUMNS} FROM multipart_uploads WHERE upload_id = ${uploadId} FOR UPDATE`);
    },

    async deleteUpload(uploadId) {
      await db.query(sql.unsafe`DELETE FROM multipart_uploads WHERE upload_id = ${uploadId}`);
    },

    async selectPart(uploadId, partNumber) {
      return db.maybeOne(sql.type(partRow)`
        SELECT ${PART_COLUMNS} FROM multipart_parts WHERE upload_id = ${uploadId} AND part_number = ${partNumber}`);
    },

    async upsertPart(row) {
      await db.query(sql.unsafe`
        INSERT INTO multipart_parts (${PART_COLUMNS})
        VALUES (${row.uploadId}, ${row.partNumber}, ${row.etag}, ${row.backendEtag}, ${row.sizeBytes}, ${row.plaintextSize ?? null}, ${row.checksum ?? null}, ${row.sha256 ?? null}, ${row.createdAt})
        ON CONFLICT (upload_id, part_number) DO UPDATE SET
          etag = EXCLUDED.etag, backend_etag = EXCLUDED.backend_etag,
          size_bytes = EXCLUDED.size_bytes, plaintext_size = EXCLUDED.plaintext_size, checksum = EXCLUDED.checksum, sha256 = EXCLUDED.sha256, created_at = EXCLUDED.created_at`);
    },

    async deletePart(uploadId, partNumber) {
      await db.query(sql.unsafe`DELETE FROM multipart_parts WHERE upload_id = ${uploadId} AND part_number = ${partNumber}`);
    },

    async deleteParts(uploadId) {
      await db.query(sql.unsafe`DELETE FROM multipart_parts WHERE upload_id = ${uploadId}`);
    },
  };
}
