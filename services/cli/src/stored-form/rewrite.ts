// Rewriting one object into another stored form (docs/architecture.md, "Encryption at rest"):
// encrypted (encrypt-existing), plaintext (decrypt-existing), or with its backend copies'
// envelope header replaced by the ledger's (after a rotation, so the old master key can go).
//
// The new form is produced once, from one ok copy, into a new storage key on that copy's
// backend; every other copy's backend then receives those same stored bytes verbatim (never a
// second encryption: two encryptions under one data key and nonce base of bytes that may differ
// would reuse GCM nonces). Each new copy is written under a `move` intent claimed on its own
// backend for the new stored size, and the ledger swaps all copies and the header in one
// transaction, only while the object is still the write that was read — a client's overwrite
// meanwhile wins, and the pass's bytes become debts. The old copies stay readable until that
// commit and become debts in it: there is no moment when the object cannot be read.
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BackendClient } from '@s3o/backends';
import {
  DecryptStream, encryptChunks, expectedDigests, formatHeader, VerifyDigests, newEnvelope, openEnvelope, parseHeader, planStoredRead, storedLength, type KeySource,
} from '@s3o/crypto';
import { copyBytes } from '@s3o/placement';
import { newId, storageKeyForInternal, storedSizeOf, type Claim, type Ledger, type LocationRow, type ObjectRow } from '@s3o/store';

/** What a pass turns objects into. */
export type StoredForm = 'encrypted' | 'plaintext' | 'current-header';

export interface RewriteDeps {
  ledger: Pick<Ledger, 'getObject' | 'claim' | 'heartbeat' | 'abandonIntent' | 'dropIntent' | 'rewriteStoredForm' | 'enqueueCleanup' | 'listObjectsByStoredForm'>;
  backends: ReadonlyMap<string, BackendClient>;
  keys: KeySource;
  /** encryption.chunk_size, for objects encrypted by the pass */
  chunkSize: number;
  heartbeatMs: number;
}

/**
 * rewritten; current: already in the wanted form; stale: deleted or overwritten meanwhile;
 * conflict: its copies changed meanwhile; no-room: a backend's quota has no room for the new
 * form next to the old one; failed: reading, converting or writing failed (logged by the caller).
 */
export type RewriteOutcome = 'rewritten' | 'current' | 'stale' | 'conflict' | 'no-room' | 'failed';

/** The metadata name of the envelope header on a stored object (as the gateway writes it). */
const ENCRYPTION_METADATA = 's3o-enc';
const MAX_METADATA_BYTES = 2048;
/** Ours, in the order they give way when the header does not fit next to them (as the gateway does it). */
const YIELDING_METADATA = ['s3o-key', 's3o-size', 's3o-etag', 's3o-bucket'];

const FAILED_REASON = 'rewrite-failed';

/** Why a copy could not be rewritten; the message is the report's. */
export class RewriteError extends Error {
  override name = 'RewriteError';
}

export async function rewriteObject(deps: RewriteDeps, form: StoredForm, objectKey: string): Promise<{ outcome: RewriteOutcome; error?: unknown }> {
  const found = await deps.ledger.getObject(objectKey);
  if (!found) return { outcome: 'stale' };
  const { object } = found;
  const copies = found.locations.filter((l) => l.state === 'ok');
  if (copies.length === 0) return { outcome: 'failed', error: new RewriteError('no ok copy to read') };
  const plan = await planForm(deps, form, object, copies);
  if (plan === null) return { outcome: 'current' };

  const claims: Claim[] = [];
  for (const copy of copies) {
    const intentId = newId();
    const claim = await deps.ledger.claim({
      intentId, kind: 'move', objectKey, storageKey: storageKeyForInternal(objectKey, intentId),
      sizeBytes: plan.storedSize ?? object.size, candidates: [copy.backendName], identity: null,
    });
    if (!claim) {
      for (const c of claims) await deps.ledger.dropIntent(c.intentId);
      return { outcome: 'no-room' };
    }
    claims.push(claim);
  }
  const heartbeat = setInterval(() => {
    deps.ledger.heartbeat(claims.map((c) => c.intentId)).catch(() => undefined);
  }, deps.heartbeatMs);
  heartbeat.unref();
  try {
    await writeNewForm(deps, object, copies, claims, plan);
  } catch (error) {
    for (const c of claims) await deps.ledger.abandonIntent(c.intentId, FAILED_REASON);
    return { outcome: 'failed', error };
  } finally {
    clearInterval(heartbeat);
  }
  const outcome = await deps.ledger.rewriteStoredForm({
    objectKey, writeId: object.writeId, encryption: plan.encryption, storedSize: plan.storedSize,
    copies: copies.map((from, i) => ({ intentId: claims[i]!.intentId, from: { backendName: from.backendName, storageKey: from.storageKey } })),
  });
  if (outcome === 'intent-gone') {
    // The reaper took an intent while the bytes travelled; it may have looked before they landed.
    await deps.ledger.enqueueCleanup(claims.map((c) => ({
      kind: 'object' as const, backendName: c.backendName, storageKey: c.storageKey, objectKey, reason: 'rewrite outlived its intent',
      sizeBytes: plan.storedSize ?? object.size,
    })));
    return { outcome: 'failed', error: new RewriteError('an intent was reaped while the copies were written') };
  }
  return { outcome };
}

interface FormPlan {
  /** the new header (null: plaintext) and stored size (null: the plaintext size) */
  encryption: string | null;
  storedSize: number | null;
  /** turns the stored bytes of the source copy into the new form */
  convert(stored: Readable): Readable;
}

async function planForm(deps: RewriteDeps, form: StoredForm, object: ObjectRow, copies: LocationRow[]): Promise<FormPlan | null> {
  const encryption = object.encryption ?? null;
  switch (form) {
    case 'encrypted': {
      if (encryption !== null) return null;
      const { header, dataKey } = await newEnvelope(deps.keys, deps.chunkSize, object.size);
      // A copy that rotted must not be sealed under a GCM tag that would vouch for it: its
      // plaintext is checked against its MD5 (a whole write) or its recorded part hashes.
      const md5 = plaintextMd5Of(object);
      const digests = md5 ? null : expectedDigests(object, null);
      const checked = (stored: Readable): Readable => (md5 ? through(stored, new Md5Check(md5)) : digests ? through(stored, new VerifyDigests(digests)) : stored);
      return {
        encryption: formatHeader(header),
        storedSize: storedLength(object.size, header.chunkSize),
        convert: (stored) => Readable.from(encryptChunks(dataKey, header, checked(stored)), { objectMode: false }),
      };
    }
    case 'plaintext': {
      if (encryption === null) return null;
      const header = parseHeader(encryption);
      const dataKey = await openEnvelope(deps.keys, header);
      // Every chunk authenticates before its bytes go on.
      return { encryption: null, storedSize: null, convert: (stored) => through(stored, new DecryptStream(dataKey, header, planStoredRead(header))) };
    }
    case 'current-header': {
      if (encryption === null) return null;
      const stale = await Promise.all(copies.map(async (copy) => {
        const info = await backendOf(deps, copy.backendName).headObject(copy.storageKey);
        return info === null || info.metadata[ENCRYPTION_METADATA] !== encryption;
      }));
      if (!stale.some(Boolean)) return null;
      return { encryption, storedSize: object.storedSize ?? null, convert: (stored) => stored };
    }
  }
}

/** `stored` through `transform`; an error of either fails `transform` (so the PUT it feeds fails). */
function through(stored: Readable, transform: Transform): Transform {
  pipeline(stored, transform).catch(() => undefined);
  return transform;
}

/** The MD5 a whole object's plaintext must have: its ETag, unless it is a multipart ETag (`…-N`). */
function plaintextMd5Of(object: ObjectRow): string | null {
  return /^[0-9a-f]{32}$/.test(object.etag) ? object.etag : null;
}

/** Passes bytes on and fails at their end when their MD5 is not the one expected (a copy that rotted). */
class Md5Check extends Transform {
  private readonly hash = createHash('md5');
  constructor(private readonly expected: string) {
    super();
  }
  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(data);
    done(null, data);
  }
  override _flush(done: TransformCallback): void {
    const got = this.hash.digest('hex');
    done(got === this.expected ? null : new RewriteError(`the copy's bytes have MD5 ${got}, the object's ETag is ${this.expected}`));
  }
}

function backendOf(deps: RewriteDeps, name: string): BackendClient {
  const client = deps.backends.get(name);
  if (!client) throw new RewriteError(`backend ${name} has no client`);
  return client;
}

/** The first copy's bytes in the new form into its claim; the other claims receive those bytes verbatim. */
async function writeNewForm(deps: RewriteDeps, object: ObjectRow, copies: LocationRow[], claims: Claim[], plan: FormPlan): Promise<void> {
  const newSize = plan.storedSize ?? object.size;
  const first = copies[0]!;
  const source = backendOf(deps, first.backendName);
  const got = await source.getObject(first.storageKey);
  if (got.status !== 200 || got.headers.contentLength !== storedSizeOf(object)) {
    got.body.destroy();
    throw new RewriteError(`${first.backendName} holds ${got.headers.contentLength ?? 'an unknown number of'} bytes at ${first.storageKey}, the ledger says ${storedSizeOf(object)}`);
  }
  let metadata: Record<string, string>;
  try {
    metadata = metadataFor(got.headers.metadata, plan.encryption, newSize, object.etag);
  } catch (err) {
    got.body.destroy();
    throw err;
  }
  // A failure of the source or the conversion fails the PUT it feeds: a short body never lands.
  await source.putObject(claims[0]!.storageKey, plan.convert(got.body), {
    contentLength: newSize, contentType: got.headers.contentType, headers: got.headers.standard, metadata,
  });
  for (let i = 1; i < claims.length; i++) {
    await copyBytes({ source, sourceKey: claims[0]!.storageKey, target: backendOf(deps, copies[i]!.backendName), targetKey: claims[i]!.storageKey, size: newSize });
  }
}

/**
 * The source copy's metadata with the new header (first, always), the new stored size and the
 * object's ETag (a copy written from a multipart upload had neither: it now holds one whole body
 * and describes itself fully, for degraded reads and a ledger rebuild). Throws when the header
 * and the client's metadata alone pass S3's 2 KB (a long part layout): the copy is left as it is.
 */
export function metadataFor(source: Record<string, string>, encryption: string | null, storedSize: number, etag: string): Record<string, string> {
  const meta: Record<string, string> = {};
  if (encryption !== null) meta[ENCRYPTION_METADATA] = encryption;
  for (const [name, value] of Object.entries(source)) {
    if (name !== ENCRYPTION_METADATA) meta[name] = value;
  }
  meta['s3o-size'] = String(storedSize);
  meta['s3o-etag'] = etag;
  const bytes = (): number => Object.entries(meta).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  for (const name of YIELDING_METADATA) {
    if (bytes() <= MAX_METADATA_BYTES) break;
    delete meta[name];
  }
  if (bytes() > MAX_METADATA_BYTES) throw new RewriteError(`the envelope header (${encryption?.length ?? 0} bytes) does not fit in the copy's metadata`);
  return meta;
}
