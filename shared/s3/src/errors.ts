// S3 errors as clients expect them: AWS's code, HTTP status and default message.
// Clients' retry logic keys on code + status, so these follow AWS S3 exactly; only
// InsufficientStorage (507) comes from the upstream Go project, because AWS has none.
import { escapeXml, XML_DECLARATION } from './xml.js';

interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

/** Every error code the gateway answers with, with AWS's status and default message. */
export const S3_ERRORS = {
  AccessDenied: { status: 403, message: 'Access Denied' },
  AccessForbidden: { status: 403, message: 'CORSResponse: This CORS request is not allowed.' },
  NoSuchCORSConfiguration: { status: 404, message: 'The CORS configuration does not exist' },
  InvalidAccessKeyId: { status: 403, message: 'The AWS Access Key Id you provided does not exist in our records.' },
  SignatureDoesNotMatch: {
    status: 403,
    message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  },
  RequestTimeTooSkewed: { status: 403, message: 'The difference between the request time and the current time is too large.' },
  AuthorizationHeaderMalformed: { status: 400, message: 'The authorization header is malformed.' },
  AuthorizationQueryParametersError: {
    status: 400,
    message: 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
  },
  MissingSecurityHeader: { status: 400, message: 'Your request is missing a required header.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  NoSuchUpload: {
    status: 404,
    message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  },
  InvalidArgument: { status: 400, message: 'Invalid Argument' },
  InvalidRequest: { status: 400, message: 'Invalid Request' },
  InvalidURI: { status: 400, message: "Couldn't parse the specified URI." },
  MalformedXML: {
    status: 400,
    message: 'The XML you provided was not well-formed or did not validate against our published schema',
  },
  MissingRequestBodyError: { status: 400, message: 'Request Body is empty' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed size' },
  EntityTooSmall: { status: 400, message: 'Your proposed upload is smaller than the minimum allowed object size.' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified was invalid.' },
  BadDigest: { status: 400, message: 'The Content-MD5 you specified did not match what we received.' },
  XAmzContentSHA256Mismatch: {
    status: 400,
    message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
  },
  InvalidPart: {
    status: 400,
    message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  },
  InvalidPartOrder: {
    status: 400,
    message: 'The list of parts was not in ascending order. Parts must be ordered by part number.',
  },
  InvalidRange: { status: 416, message: 'The requested range is not satisfiable' },
  InvalidPartNumber: { status: 416, message: 'The requested partnumber is not satisfiable' },
  PreconditionFailed: { status: 412, message: 'At least one of the pre-conditions you specified did not hold' },
  NotModified: { status: 304, message: 'Not Modified' },
  ConditionalRequestConflict: {
    status: 409,
    message: 'The conditional request cannot succeed due to a conflicting operation against this resource.',
  },
  MetadataTooLarge: { status: 400, message: 'Your metadata headers exceed the maximum allowed metadata size.' },
  KeyTooLongError: { status: 400, message: 'Your key is too long' },
  IncompleteBody: {
    status: 400,
    message: 'You did not provide the number of bytes specified by the Content-Length HTTP header',
  },
  InvalidChunkSizeError: { status: 400, message: 'Only the last chunk is allowed to have a size less than 8192 bytes' },
  InvalidTag: { status: 400, message: 'The tag provided was not a valid tag.' },
  BadRequest: { status: 400, message: 'Bad Request' },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.' },
  BucketAlreadyExists: { status: 409, message: 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.' },
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty' },
  NotImplemented: { status: 501, message: 'A header you provided implies functionality that is not implemented' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  ServiceUnavailable: { status: 503, message: 'Service is unable to handle request.' },
  SlowDown: { status: 503, message: 'Please reduce your request rate.' },
  InsufficientStorage: { status: 507, message: 'Insufficient storage space available to complete the request.' },
  RequestTimeout: {
    status: 400,
    message: 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type S3ErrorCode = keyof typeof S3_ERRORS;

export interface S3ErrorOptions {
  /** Replaces AWS's default message when the situation calls for a more precise one. */
  message?: string;
  resource?: string;
  /** Extra elements of the XML error body (AWS adds e.g. `Key`, `BucketName`, `UploadId`). */
  extra?: Record<string, string>;
  /**
   * Response headers the answer carries besides its own (a 304 keeps the object's ETag and
   * Last-Modified, RFC 9110 §15.4.5, as AWS sends them).
   */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  readonly resource?: string;
  readonly extra?: Record<string, string>;
  readonly headers?: Record<string, string>;

  constructor(code: S3ErrorCode, options: S3ErrorOptions = {}) {
    super(options.message ?? S3_ERRORS[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'S3Error';
    this.code = code;
    this.status = S3_ERRORS[code].status;
    if (options.resource !== undefined) this.resource = options.resource;
    if (options.extra !== undefined) this.extra = options.extra;
    if (options.headers !== undefined) this.headers = options.headers;
  }

  /** A 304 (and only a 304) must go out without a body, per HTTP. */
  get hasBody(): boolean {
    return this.status !== 304;
  }
}

export function s3Error(code: S3ErrorCode, options?: S3ErrorOptions): S3Error {
  return new S3Error(code, options);
}

export function isS3Error(value: unknown): value is S3Error {
  return value instanceof S3Error;
}

/**
 * The XML body AWS sends with an error. `resource` overrides the error's own; extra
 * elements go between Message and Resource, as AWS orders them. Extra element names are
 * identifiers chosen by our code (never client input); their values are escaped.
 */
export function errorXml(err: S3Error, requestId: string, resource?: string): string {
  let out = `${XML_DECLARATION}<Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message>`;
  if (err.extra) {
    for (const [name, value] of Object.entries(err.extra)) out += `<${name}>${escapeXml(value)}</${name}>`;
  }
  const res = resource ?? err.resource;
  if (res !== undefined) out += `<Resource>${escapeXml(res)}</Resource>`;
  return out + `<RequestId>${escapeXml(requestId)}</RequestId></Error>`;
}
