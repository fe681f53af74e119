// Reading an object in its stored form (docs/architecture.md, "Encryption at rest"): a
// plaintext object's range is passed to the backend as it is; an encrypted object's range
// becomes the one span of whole chunks that covers it, fetched with one ranged GET and
// decrypted on the way out, each chunk authenticated before any of its bytes is sent.
// A header whose master key is not configured (or not the same key material) is a 500 with a
// log line naming the key id — never bytes decrypted with the wrong key.
import type { Readable } from 'node:stream';
import {
  DecryptStream, DigestMismatchError, expectedDigests, IntegrityError, VerifyDigests, type DigestSegment, KeyMismatchError, openEnvelope, parseHeader, planStoredRead as planDecryptedRead, UnknownKeyError, type EnvelopeHeader,
} from '@s3o/crypto';
import { S3Error } from '@s3o/s3';
import type { ObjectRow } from '@s3o/store';
import { counter } from '@s3o/telemetry';
import type { RequestContext } from '../context.js';
import type { ByteRange } from './conditions.js';

const decrypted = counter({
  name: 's3o_encryption_decrypted_bytes_total',
  help: 'Plaintext bytes decrypted for clients',
});
const mismatches = counter({
  name: 's3o_integrity_mismatches_total',
  help: 'Reads of unencrypted objects whose bytes did not match a SHA-256 recorded at write (whole object or part; the copy failed over or the response was cut)',
});
const failures = counter({
  name: 's3o_encryption_read_failures_total',
  help: 'Reads of encrypted objects that failed, by reason (unknown_key | key_mismatch | malformed_header | authentication)',
  labelNames: ['reason'] as const,
});

/** How a copy's bytes failed their check (the `integrity.corruption_detected` event's reason). */
export type CorruptionReason = 'sha256' | 'authentication' | 'length';

/** Told when the copy being read fails its check (the stream then errors). */
export type CorruptionReport = (reason: CorruptionReason, err: Error) => void;

/**
 * Counts the plaintext as it is let out. Not a 'data' listener: that would set the stream
 * flowing before the read's first bytes are checked and handed to the response (open-copy.ts).
 */
class CountedDecryptStream extends DecryptStream {
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (Buffer.isBuffer(chunk)) decrypted.inc(chunk.length);
    return super.push(chunk, encoding);
  }
}

/** What to ask the backend for, and how its bytes become the client's. */
export interface StoredRead {
  /** the backend Range header, when not the whole stored object */
  backendRange: string | undefined;
  /** bytes the backend will send (what usage limits are asked about, and what a copy must answer with) */
  backendBytes: number;
  /** the client's bytes from one copy's; `corrupt` hears of a copy whose bytes fail their check */
  toClient(body: Readable, corrupt: CorruptionReport): Readable;
}

export async function planStoredRead(ctx: RequestContext, object: ObjectRow, range: ByteRange | null): Promise<StoredRead> {
  if (!object.encryption) {
    // A read whose bytes a recorded SHA-256 covers — the whole object, or whole parts of one
    // completed from parts (`?partNumber=N`) — is checked against it; other ranges cannot be.
    // Encrypted objects need not be: GCM checks each chunk.
    const expected = expectedDigests(object, range);
    const bytes = range ? range.end - range.start + 1 : object.size;
    return {
      backendRange: range ? `bytes=${range.start}-${range.end}` : undefined,
      backendBytes: bytes,
      toClient: (body, corrupt) => (expected ? verified(ctx, bytes, body, expected, corrupt) : body),
    };
  }
  const { header, dataKey } = await openDataKey(ctx, object.encryption, object.objectKey);
  const plainRange = range ?? { start: 0, end: Math.max(0, object.size - 1) };
  const plan = planDecryptedRead(header, plainRange);
  return {
    backendRange: range ? `bytes=${plan.start}-${plan.end}` : undefined,
    backendBytes: plan.end - plan.start + 1,
    toClient(body, corrupt) {
      const plain = new CountedDecryptStream(dataKey, header, plan);
      body.on('error', (err) => plain.destroy(err));
      plain.on('error', (err) => {
        if (err instanceof IntegrityError) {
          failures.inc({ reason: 'authentication' });
          corrupt('authentication', err);
        }
        body.destroy();
      });
      return body.pipe(plain);
    },
  };
}

/**
 * A read checked against the recorded SHA-256s (@s3o/crypto digests.ts). A body that fits the
 * replay buffer (and the process's memory budget) is held whole until it is checked, so a bad
 * copy is found before a byte goes out and the read fails over; a larger one holds back its
 * newest chunk, and a part that fails breaks the transfer at that part's end.
 */
function verified(ctx: RequestContext, bytes: number, body: Readable, expected: DigestSegment[], corrupt: CorruptionReport): Readable {
  const held = bytes <= ctx.deps.config.server.replayBufferBytes ? ctx.guards.memory.tryTake(bytes) : null;
  const check = new VerifyDigests(expected, held !== null);
  if (held) check.once('close', held);
  body.on('error', (err) => check.destroy(err));
  check.on('error', (err) => {
    if (err instanceof DigestMismatchError) {
      mismatches.inc();
      corrupt('sha256', err);
    }
    body.destroy();
  });
  return body.pipe(check);
}

/** The header and data key of an encrypted object or upload; a 500 with a log line naming the key id when it cannot be opened. */
export async function openDataKey(ctx: RequestContext, headerText: string, objectKey: string): Promise<{ header: EnvelopeHeader; dataKey: Buffer }> {
  const log = { key: objectKey, requestId: ctx.requestId };
  let header: EnvelopeHeader;
  try {
    header = parseHeader(headerText);
  } catch (err) {
    failures.inc({ reason: 'malformed_header' });
    ctx.deps.logger.error({ ...log, err }, 'encrypted object has a header that cannot be read');
    throw new S3Error('InternalError');
  }
  const keys = ctx.deps.keys;
  try {
    if (!keys) throw new UnknownKeyError(header.keyId);
    return { header, dataKey: await openEnvelope(keys, header) };
  } catch (err) {
    if (!(err instanceof UnknownKeyError || err instanceof KeyMismatchError)) throw err;
    const reason = err instanceof KeyMismatchError ? 'key_mismatch' : 'unknown_key';
    failures.inc({ reason });
    ctx.deps.logger.error({ ...log, err, keyId: header.keyId }, `cannot decrypt: master key "${header.keyId}" is ${reason === 'key_mismatch' ? 'not the key that wrapped it' : 'not configured'}`);
    throw new S3Error('InternalError', { message: 'The object is encrypted with a key this server does not hold.' });
  }
}
