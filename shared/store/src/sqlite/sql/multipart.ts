// multipart_uploads and multipart_parts.
import type { ReadStatements, TxStatements } from '../../tx-adapter.js';
import type { MultipartPartRow, MultipartUploadRow } from '../../types.js';
import { int, type SqliteConnection } from '../connection.js';
import {
  IDENTITY_COLUMNS, IDENTITY_VALUES, identityFromRow, identityParams, type RawIdentityColumns,
} from './identity-columns.js';
import { listHoldings, type HoldingTable } from './holding-pages.js';

interface RawUpload extends RawIdentityColumns {
  upload_id: string;
  object_key: string;
  backend_name: string;
  backend_upload_id: string;
  storage_key: string;
  created_at: bigint;
}

interface RawPart {
  upload_id: string;
  part_number: bigint;
  etag: string | null;
  backend_etag: string | null;
  size_bytes: bigint;
  plaintext_size: bigint | null;
  checksum: string | null;
  sha256: string | null;
  created_at: bigint;
}

const UPLOAD_COLUMNS = `upload_id, object_key, backend_name, backend_upload_id, storage_key, ${IDENTITY_COLUMNS}, created_at`;
const SELECT_UPLOAD = `SELECT ${UPLOAD_COLUMNS} FROM multipart_uploads WHERE upload_id = @uploadId`;

function uploadFromRow(r: RawUpload): MultipartUploadRow {
  return {
    uploadId: r.upload_id,
    objectKey: r.object_key,
    backendName: r.backend_name,
    backendUploadId: r.backend_upload_id,
    storageKey: r.storage_key,
    identity: identityFromRow(r),
    createdAt: int(r.created_at),
  };
}

function partFromRow(r: RawPart): MultipartPartRow {
  return {
    uploadId: r.upload_id,
    partNumber: int(r.part_number),
    etag: r.etag,
    backendEtag: r.backend_etag,
    sizeBytes: int(r.size_bytes),
    ...(r.plaintext_size !== null ? { plaintextSize: int(r.plaintext_size) } : {}),
    ...(r.checksum !== null ? { checksum: r.checksum } : {}),
    ...(r.sha256 !== null ? { sha256: r.sha256 } : {}),
    createdAt: int(r.created_at),
  };
}

/** Keys in [from, to) by (object_key, upload_id); with `after`, key `from` resumes after that upload. */
function listUploadsSql(bounded: boolean, resume: boolean): string {
  const start = resume
    ? '(object_key > @from OR (object_key = @from AND upload_id > @afterUploadId))'
    : 'object_key >= @from';
  return `SELECT ${UPLOAD_COLUMNS} FROM multipart_uploads
           WHERE ${start}${bounded ? ' AND object_key < @to' : ''}
           ORDER BY object_key, upload_id LIMIT @limit`;
}

const UPLOAD_HOLDINGS: HoldingTable = {
  kind: 'upload', table: 'multipart_uploads', rowColumn: 'upload_id', numericRow: false, objectKey: 't.object_key',
  size: '(SELECT COALESCE(SUM(p.size_bytes), 0) FROM multipart_parts p WHERE p.upload_id = t.upload_id)',
};

type MultipartReads = Pick<ReadStatements, 'selectUpload' | 'selectParts' | 'listUploads' | 'listStaleUploads' | 'listUploadHoldings'>;

export function multipartReads(c: SqliteConnection): MultipartReads {
  return {
    async selectUpload(uploadId) {
      const r = c.get<RawUpload>(SELECT_UPLOAD, { uploadId });
      return r ? uploadFromRow(r) : null;
    },

    async selectParts(uploadId) {
      return c
        .all<RawPart>(`SELECT * FROM multipart_parts WHERE upload_id = @uploadId ORDER BY part_number`, { uploadId })
        .map(partFromRow);
    },

    async listUploads(from, to, afterUploadId, limit) {
      const sql = listUploadsSql(to !== null, afterUploadId !== null);
      return c.all<RawUpload>(sql, { from, to, afterUploadId, limit }).map(uploadFromRow);
    },

    // A part reserved or recorded since `before` (parts carry the time of their last change)
    // means the upload is still in use, however old it is.
    async listStaleUploads(before, limit) {
      return c
        .all<RawUpload>(
          `SELECT ${UPLOAD_COLUMNS} FROM multipart_uploads u
            WHERE u.created_at < @before
              AND NOT EXISTS (SELECT 1 FROM multipart_parts p WHERE p.upload_id = u.upload_id AND p.created_at >= @before)
            ORDER BY u.created_at, u.upload_id LIMIT @limit`,
          { before, limit },
        )
        .map(uploadFromRow);
    },

    async listUploadHoldings(backendName, page) {
      return listHoldings(c, UPLOAD_HOLDINGS, backendName, page);
    },
  };
}

type MultipartWrites = Pick<
  TxStatements,
  'insertUpload' | 'countUploadsLocked' | 'lockUpload' | 'deleteUpload' | 'selectPart' | 'upsertPart' | 'deletePart' | 'deleteParts'
>;

export function multipartWrites(c: SqliteConnection): MultipartWrites {
  return {
    async insertUpload(row) {
      c.run(
        `INSERT INTO multipart_uploads (${UPLOAD_COLUMNS})
         VALUES (@uploadId, @objectKey, @backendName, @backendUploadId, @storageKey, ${IDENTITY_VALUES}, @createdAt)`,
        {
          uploadId: row.uploadId,
          objectKey: row.objectKey,
          backendName: row.backendName,
          backendUploadId: row.backendUploadId,
          storageKey: row.storageKey,
          ...identityParams(row.identity),
          createdAt: row.createdAt,
        },
      );
    },

    // The single writer holds the database for the whole transaction: a plain count is locked.
    async countUploadsLocked(from, to) {
      const r = c.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM multipart_uploads WHERE object_key >= @from AND object_key < @to`, { from, to });
      return int(r!.n);
    },

    // The single writer holds the database for the whole transaction: a plain read is a lock.
    async lockUpload(uploadId) {
      const r = c.get<RawUpload>(SELECT_UPLOAD, { uploadId });
      return r ? uploadFromRow(r) : null;
    },

    async deleteUpload(uploadId) {
      c.run(`DELETE FROM multipart_uploads WHERE upload_id = @uploadId`, { uploadId });
    },

    async selectPart(uploadId, partNumber) {
      const r = c.get<RawPart>(
        `SELECT * FROM multipart_parts WHERE upload_id = @uploadId AND part_number = @partNumber`,
        { uploadId, partNumber },
      );
      return r ? partFromRow(r) : null;
    },

    async upsertPart(row) {
      c.run(
        `INSERT INTO multipart_parts (upload_id, part_number, etag, backend_etag, size_bytes, plaintext_size, checksum, sha256, created_at)
         VALUES (@uploadId, @partNumber, @etag, @backendEtag, @sizeBytes, @plaintextSize, @checksum, @sha256, @createdAt)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET
           etag = excluded.etag, backend_etag = excluded.backend_etag,
           size_bytes = excluded.size_bytes, plaintext_size = excluded.plaintext_size, checksum = excluded.checksum, sha256 = excluded.sha256, created_at = excluded.created_at`,
        { ...row, plaintextSize: row.plaintextSize ?? null, checksum: row.checksum ?? null, sha256: row.sha256 ?? null },
      );
    },

    async deletePart(uploadId, partNumber) {
      c.run(`DELETE FROM multipart_parts WHERE upload_id = @uploadId AND part_number = @partNumber`, { uploadId, partNumber });
    },

    async deleteParts(uploadId) {
      c.run(`DELETE FROM multipart_parts WHERE upload_id = @uploadId`, { uploadId });
    },
  };
}
