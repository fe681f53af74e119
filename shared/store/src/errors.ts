// Typed failures of ledger operations. `code` is the S3 error code the gateway answers with
// where one applies, so the mapping to an HTTP response is a lookup, not a guess.

export abstract class LedgerError extends Error {
  abstract readonly code: string;
}

/** `If-None-Match: *` and the key already exists (S3 `PreconditionFailed`, 412). */
export class PreconditionFailedError extends LedgerError {
  readonly code = 'PreconditionFailed';
  constructor(message = 'At least one of the pre-conditions you specified did not hold') {
    super(message);
    this.name = 'PreconditionFailedError';
  }
}

/**
 * `If-Match`: another write of the key committed while this one was in flight, so the object
 * the condition was checked against is no longer there (S3 `ConditionalRequestConflict`, 409).
 */
export class ConditionalConflictError extends LedgerError {
  readonly code = 'ConditionalRequestConflict';
  constructor() {
    super('A conflicting write of the key committed while this conditional write was in flight');
    this.name = 'ConditionalConflictError';
  }
}

/** The multipart upload does not exist (never did, completed, or aborted) (S3 `NoSuchUpload`, 404). */
export class NoSuchUploadError extends LedgerError {
  readonly code = 'NoSuchUpload';
  constructor(readonly uploadId: string) {
    super(`The specified multipart upload does not exist: ${uploadId}`);
    this.name = 'NoSuchUploadError';
  }
}

/**
 * The bucket already has `buckets[].max_multipart_uploads` open uploads: the limit is the
 * operator's, not AWS's, so the answer is upstream's throttle (S3 `SlowDown`, 503), which clients retry.
 */
export class TooManyUploadsError extends LedgerError {
  readonly code = 'SlowDown';
  constructor(readonly limit: number) {
    super('Too many active multipart uploads');
    this.name = 'TooManyUploadsError';
  }
}

/** A part named in CompleteMultipartUpload was not uploaded or its ETag differs (S3 `InvalidPart`, 400). */
export class InvalidPartError extends LedgerError {
  readonly code = 'InvalidPart';
  constructor(readonly partNumber: number, reason: string) {
    super(`One or more of the specified parts could not be found: part ${partNumber} ${reason}`);
    this.name = 'InvalidPartError';
  }
}

/** Part numbers in CompleteMultipartUpload are not strictly ascending (S3 `InvalidPartOrder`, 400). */
export class InvalidPartOrderError extends LedgerError {
  readonly code = 'InvalidPartOrder';
  constructor() {
    super('The list of parts was not in ascending order. Parts must be ordered by part number.');
    this.name = 'InvalidPartOrderError';
  }
}

/**
 * The intent is gone — the reaper resolved it (its heartbeat stopped) or it was dropped.
 * The write cannot be committed; the gateway answers 500 `InternalError` and the client retries.
 */
export class NoSuchIntentError extends LedgerError {
  readonly code = 'InternalError';
  constructor(readonly intentId: string) {
    super(`intent ${intentId} no longer exists`);
    this.name = 'NoSuchIntentError';
  }
}

/** The database was migrated by a newer build; running against it could corrupt it. */
export class SchemaTooNewError extends LedgerError {
  readonly code = 'InternalError';
  constructor(readonly databaseVersion: number, readonly supportedVersion: number) {
    super(
      `database schema version ${databaseVersion} is newer than this build supports (${supportedVersion}); upgrade s3-orchestrator`,
    );
    this.name = 'SchemaTooNewError';
  }
}

/**
 * A provisioning change the ledger refuses (users, credentials, grants, stored buckets):
 * `reason` maps to the HTTP status (invalid 400, not-found 404, conflict 409) and `field`
 * names the input at fault, so the admin API can say which one.
 */
export class IdentityError extends LedgerError {
  readonly code: string;
  constructor(readonly reason: 'invalid' | 'not-found' | 'conflict', readonly field: string, message: string) {
    super(message);
    this.name = 'IdentityError';
    this.code = reason === 'invalid' ? 'InvalidArgument' : reason === 'not-found' ? 'NotFound' : 'Conflict';
  }
}
