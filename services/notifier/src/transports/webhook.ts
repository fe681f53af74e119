// Webhook endpoints: POST the stored body as JSON, with the event id and (with a secret) the
// signature headers (sign.ts). A 2xx answer within the endpoint's timeout is delivered;
// anything else — another status, a refused connection, the timeout — is a failed attempt.
// Redirects are not followed: the signed body goes only where the operator pointed it.
import type { NotificationEndpointConfig } from '@s3o/config';
import type { NotificationRow } from '@s3o/store';
import { contentTypeOf } from '../payload.js';
import { deliveryHeaders } from '../sign.js';
import type { Transport } from './types.js';

export class WebhookTransport implements Transport {
  constructor(private readonly clock: () => number = Date.now) {}

  async deliver(endpoint: NotificationEndpointConfig, row: NotificationRow): Promise<void> {
    let response: Response;
    try {
      response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': contentTypeOf(row.payload),
          ...deliveryHeaders(row.eventId, row.payload, endpoint.secret, this.clock()),
        },
        body: row.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(endpoint.timeoutMs),
      });
    } catch (err) {
      throw new Error(describeFetchError(err, endpoint.timeoutMs));
    }
    // Only the start of the answer is kept (for the error message); the rest is discarded.
    const answer = await answerStart(response, ANSWER_BYTES_KEPT);
    if (response.status < 200 || response.status > 299) {
      throw new Error(`HTTP ${response.status}${answer ? `: ${answer}` : ''}`);
    }
  }

  async close(): Promise<void> {}
}

const ANSWER_BYTES_KEPT = 200;

/** The first `limit` bytes of the answer's body as text; the stream is cancelled after them. */
async function answerStart(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short says nothing more than the status.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : null;
  const message = err instanceof Error ? err.message : String(err);
  return cause ? `${message}: ${cause}` : message;
}
