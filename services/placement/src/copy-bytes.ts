// Copying one stored object from one backend to another: the bytes stream from the
// source's GET straight into the target's PUT (never buffered whole), and the copy keeps
// everything that makes a stored object self-describing (docs/architecture.md §4): content type,
// standard headers and x-amz-meta-* including ours (s3o-bucket, s3o-etag, s3o-size, s3o-key).
import type { BackendClient } from '@s3o/backends';

export interface CopyBytesRequest {
  source: BackendClient;
  sourceKey: string;
  target: BackendClient;
  targetKey: string;
  /** the size the ledger records; a source answering with another length fails the copy */
  size: number;
  signal?: AbortSignal;
}

/**
 * The copy failed once the target's PUT had been sent — whichever side failed (a source that
 * stalls mid-body fails the PUT it feeds). The target may keep what it received of the cut-off
 * upload (s3rver does), so the target key must be owed, never forgotten.
 */
export class TargetWriteError extends Error {
  override name = 'TargetWriteError';
  constructor(readonly target: string, readonly targetKey: string, cause: unknown) {
    super(`copy into ${target} ${targetKey} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Streams the object across; resolves with the target's ETag. Throws on any failure (the
 * target never completes a partial body): errors from before the target's PUT as they are,
 * errors from after it as a TargetWriteError.
 */
export async function copyBytes(r: CopyBytesRequest): Promise<{ etag: string }> {
  const got = await r.source.getObject(r.sourceKey, { signal: r.signal });
  if (got.status !== 200) {
    got.body.destroy();
    throw new Error(`${r.source.name} answered GET ${r.sourceKey} with ${got.status}`);
  }
  const length = got.headers.contentLength;
  if (length !== r.size) {
    got.body.destroy();
    throw new Error(`${r.source.name} holds ${length ?? 'an unknown number of'} bytes at ${r.sourceKey}, the ledger says ${r.size}`);
  }
  try {
    return await r.target.putObject(r.targetKey, got.body, {
      contentLength: r.size,
      contentType: got.headers.contentType,
      headers: got.headers.standard,
      metadata: got.headers.metadata,
      signal: r.signal,
    });
  } catch (err) {
    throw new TargetWriteError(r.target.name, r.targetKey, err);
  }
}
