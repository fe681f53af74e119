// Assertions on S3 errors as the SDK surfaces them: the error's name is the `<Code>` of
// the XML body (or, for HEAD, which has no body, a name derived from the status), and
// `$metadata` carries the HTTP status and the `x-amz-request-id` header.
import assert from 'node:assert/strict';

interface SdkError {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

export interface ExpectedError {
  /** The S3 error code (`NoSuchKey`); omit to check the status only (HEAD, 304). */
  code?: string;
  status: number;
}

/** Awaits `action`, which must fail with the given S3 error code and HTTP status. */
export async function expectS3Error(action: Promise<unknown>, expected: ExpectedError): Promise<SdkError> {
  let caught: unknown;
  try {
    await action;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught, `expected ${expected.code ?? `HTTP ${expected.status}`}, but the request succeeded`);
  const err = caught as SdkError;
  const got = `${err.name} (HTTP ${err.$metadata?.httpStatusCode}): ${err.message}`;
  assert.equal(err.$metadata?.httpStatusCode, expected.status, `status: got ${got}`);
  if (expected.code !== undefined) assert.equal(err.name, expected.code, `code: got ${got}`);
  if (expected.status !== 304) {
    assert.ok(err.$metadata?.requestId, `error ${got} carries no x-amz-request-id`);
  }
  return err;
}
