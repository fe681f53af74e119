// Delivery headers: the event id (receivers dedupe on it) and, with a secret, the signature
// `sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))` over `X-S3O-Timestamp` (unix
// seconds), so a receiver can check origin and integrity and refuse old replays.
import { createHmac } from 'node:crypto';

export const HEADERS = {
  timestamp: 'X-S3O-Timestamp',
  signature: 'X-S3O-Signature',
  eventId: 'X-S3O-Event-Id',
} as const;

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function deliveryHeaders(eventId: string, body: string, secret: string | null, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const headers: Record<string, string> = { [HEADERS.eventId]: eventId, [HEADERS.timestamp]: timestamp };
  if (secret !== null) headers[HEADERS.signature] = signature(secret, timestamp, body);
  return headers;
}
