// Reading one copy whole and checking it (docs/architecture.md, "Integrity"): its length
// against what the ledger says it holds, then an encrypted copy's every GCM tag (the data key
// opened with the master keys) or an unencrypted one's SHA-256s against those recorded at
// write — the whole object's, or each part's for one completed from parts. The bytes are read
// at the pace `budget` allows and then dropped.
import { PassThrough, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackendClient } from '@s3o/backends';
import {
  DecryptStream, DigestMismatchError, expectedDigests, IntegrityError, openEnvelope, parseHeader, planStoredRead, VerifyDigests, type KeySource,
} from '@s3o/crypto';
import type { IntegrityCorruptionData } from '@s3o/events';
import type { LocationRow, ObjectRow } from '@s3o/store';
import type { ByteBudget } from './byte-budget.js';

export type CopyCheck =
  /** the bytes passed every check there is for them (`checked`: what was checked) */
  | { outcome: 'good'; checked: 'sha256' | 'authentication' | 'length'; bytes: number }
  | { outcome: 'corrupt'; reason: IntegrityCorruptionData['reason']; detail: string; bytes: number }
  /** the copy could not be read or checked now (backend error, no key): nothing is recorded */
  | { outcome: 'unreadable'; detail: string; bytes: number };

export async function checkCopy(
  client: BackendClient, object: ObjectRow, copy: LocationRow, keys: KeySource | null, budget: ByteBudget, signal: AbortSignal,
): Promise<CopyCheck> {
  let res;
  try {
    res = await client.getObject(copy.storageKey, { signal });
  } catch (err) {
    return { outcome: 'unreadable', detail: err instanceof Error ? err.message : String(err), bytes: 0 };
  }
  if (res.status !== 200) {
    res.body.destroy();
    return { outcome: 'unreadable', detail: `status ${res.status}`, bytes: 0 };
  }
  const announced = res.headers.contentLength;
  if (announced !== undefined && announced !== copy.sizeBytes) {
    res.body.destroy();
    return { outcome: 'corrupt', reason: 'length', detail: `the backend holds ${announced} bytes, ${copy.sizeBytes} were stored`, bytes: 0 };
  }
  let bytes = 0;
  const paced = async function* (body: Readable) {
    for await (const chunk of body) {
      bytes += (chunk as Buffer).length;
      await budget.spend((chunk as Buffer).length, signal);
      yield chunk as Buffer;
    }
  };
  try {
    if (object.encryption && object.size > 0) {
      if (!keys) {
        res.body.destroy();
        return { outcome: 'unreadable', detail: 'encrypted, and this process holds no master key', bytes };
      }
      const header = parseHeader(object.encryption);
      const dataKey = await openEnvelope(keys, header);
      const decrypt = new DecryptStream(dataKey, header, planStoredRead(header, { start: 0, end: object.size - 1 }));
      await pipeline(res.body, paced, decrypt, discard());
      return { outcome: 'good', checked: 'authentication', bytes };
    }
    // Without a recorded hash (written with integrity off, or parts from before part hashes), only the length.
    const digests = object.encryption ? null : expectedDigests(object, null);
    const shortRead = () => ({ outcome: 'corrupt' as const, reason: 'length' as const, detail: `read ${bytes} bytes, ${copy.sizeBytes} were stored`, bytes });
    try {
      await pipeline(res.body, paced, digests ? new VerifyDigests(digests) : new PassThrough(), discard());
    } catch (err) {
      // Only a body that ended early is a length problem: a part that fails its hash stops the
      // read mid-body, whatever was read ahead by then.
      if (err instanceof DigestMismatchError && err.short) return shortRead();
      throw err;
    }
    if (bytes !== copy.sizeBytes) return shortRead();
    return { outcome: 'good', checked: digests ? 'sha256' : 'length', bytes };
  } catch (err) {
    if (err instanceof IntegrityError) return { outcome: 'corrupt', reason: 'authentication', detail: err.message, bytes };
    if (err instanceof DigestMismatchError) return { outcome: 'corrupt', reason: 'sha256', detail: err.message, bytes };
    if (signal.aborted) throw err;
    return { outcome: 'unreadable', detail: err instanceof Error ? err.message : String(err), bytes };
  }
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}
