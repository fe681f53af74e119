import { randomBytes } from 'node:crypto';

/** AWS-style request id: 16 upper-case hex characters. */
export function newRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}
