// `server.spill_dir` (opt-in): a body larger than the replay buffer is spooled to a temp file
// first and sent from it, so a backend that fails mid-upload is retried on the next candidate
// whatever the size (docs/architecture.md §6, "PUT"). The file is unlinked as soon as it is
// open: only this process's descriptor holds it, so it goes away with the request, or with
// the process should it die. Streams reach it through `/proc/self/fd/N` (Linux), each with a
// descriptor of its own that it closes itself — a stream over a shared descriptor it must not
// close never finishes closing, and a replay needs a fresh stream per attempt. The cost is the
// body's size in disk I/O and the spool time before the first byte reaches a backend — why it
// is off by default.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientBody } from './body.js';

export interface SpilledBody {
  /** the verified body's MD5 */
  md5: Buffer;
  /** a fresh stream of the whole body, for each attempt */
  open(): Readable;
  /** closes the file (already unlinked) */
  release(): Promise<void>;
}

export async function spillBody(dir: string, body: ClientBody): Promise<SpilledBody> {
  const path = join(dir, `s3o-spill-${randomUUID()}`);
  const file: FileHandle = await open(path, 'wx+', 0o600);
  try {
    await unlink(path);
    await pipeline(body.stream, createWriteStream(`/proc/self/fd/${file.fd}`));
  } catch (err) {
    await file.close();
    throw err;
  }
  return {
    md5: body.stream.md5,
    open: () => createReadStream(`/proc/self/fd/${file.fd}`),
    release: () => file.close(),
  };
}
