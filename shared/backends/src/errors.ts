// The one error type every backend call fails with, so callers (failover, cleanup retries,
// circuit breakers) decide on `status`, `code` and `retriable` without parsing messages.

export interface BackendErrorInit {
  backend: string;
  operation: string;
  /** HTTP status; 0 when no HTTP answer was received (network error, timeout). */
  status: number;
  code: string;
  message: string;
  retriable: boolean;
  requestId?: string;
  cause?: unknown;
}

export class BackendError extends Error {
  override name = 'BackendError';
  readonly backend: string;
  readonly operation: string;
  readonly status: number;
  readonly code: string;
  readonly retriable: boolean;
  readonly requestId: string | undefined;

  constructor(init: BackendErrorInit) {
    super(`${init.backend} ${init.operation}: ${init.status ? `${init.status} ` : ''}${init.code}: ${init.message}`, {
      cause: init.cause,
    });
    this.backend = init.backend;
    this.operation = init.operation;
    this.status = init.status;
    this.code = init.code;
    this.retriable = init.retriable;
    this.requestId = init.requestId;
  }
}

/**
 * The backend does not implement the operation (405 MethodNotAllowed / 501 NotImplemented).
 * Retrying cannot help; e.g. cleanup dead-letters an AbortMultipartUpload debt at once for an operator.
 */
export class BackendUnsupportedError extends BackendError {
  override name = 'BackendUnsupportedError';
}

/** S3 error codes that mean "try again later" even though their status may be 4xx or 200. */
const RETRIABLE_CODES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequests',
]);

/** Codes for answers without an XML body (HEAD responses), named as the AWS SDKs name them. */
const CODE_BY_STATUS: Record<number, string> = {
  304: 'NotModified',
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  412: 'PreconditionFailed',
  416: 'InvalidRange',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
};

export interface ErrorDetails {
  code?: string;
  message?: string;
  requestId?: string;
}

/** Builds the error for an HTTP answer that means failure (including a 200 carrying an <Error> body). */
export function errorFromResponse(
  backend: string,
  operation: string,
  status: number,
  details: ErrorDetails,
): BackendError {
  const code = details.code || CODE_BY_STATUS[status] || `Http${status}`;
  const init: BackendErrorInit = {
    backend,
    operation,
    status,
    code,
    message: details.message || `HTTP ${status}`,
    retriable: status >= 500 || status === 429 || status === 408 || RETRIABLE_CODES.has(code),
    requestId: details.requestId,
  };
  const unsupported = status === 405 || status === 501 || code === 'NotImplemented' || code === 'MethodNotAllowed';
  return unsupported ? new BackendUnsupportedError({ ...init, retriable: false }) : new BackendError(init);
}

/** A connection-level failure: nothing (or not all) of an HTTP answer arrived. */
export function networkError(backend: string, operation: string, cause: Error & { code?: string }): BackendError {
  return new BackendError({
    backend,
    operation,
    status: 0,
    code: cause.code ?? 'NetworkError',
    message: cause.message,
    retriable: true,
    cause,
  });
}

export function timeoutError(backend: string, operation: string, timeoutMs: number): BackendError {
  return new BackendError({
    backend,
    operation,
    status: 0,
    code: 'BackendTimeout',
    message: `no data from the backend for ${timeoutMs} ms`,
    retriable: true,
  });
}

/**
 * Whether a failed call may still have been carried out by the backend: true unless the
 * backend answered with an error status (it refused the request) or the connection was
 * never made (nothing was sent). A reset or a timeout after the request went out, or a
 * success whose body could not be read, leaves the outcome unknown — the caller must owe
 * whatever the request would have created.
 */
export function mayHaveBeenCarriedOut(err: unknown): boolean {
  if (!(err instanceof BackendError)) return true;
  if (err.status >= 300) return false;
  return err.status !== 0 || err.code !== 'ECONNREFUSED';
}
