// The chaos workload: N clients, each owning its own keys (so the model of each key is
// exact), doing a seeded mix of PUT (1 KB up to the profile's largest size; small bodies
// from memory so the gateway may replay them on another backend, larger ones streamed),
// overwrite, multipart, server-side copy, DELETE, DeleteObjects, GET, ranged GET, HEAD and
// LIST. Every answer updates the model (model.ts); every read is checked against it as it
// happens — a read that returns bytes the key may not hold is a violation, a failed read is
// only an error.
import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  AbortMultipartUploadCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { patternBytes, patternStream, KiB, MiB } from '../data.js';
import { KeyModel, valueMd5, valueName, valueOf, valueRange, type State, type Value } from './model.js';
import type { Prng } from './prng.js';

export type OpKind = 'put' | 'multipart' | 'copy' | 'delete' | 'deleteObjects' | 'get' | 'range' | 'head' | 'list';

export const OP_WEIGHTS: Record<OpKind, number> = {
  put: 26, multipart: 3, copy: 7, delete: 7, deleteObjects: 3, get: 22, range: 10, head: 14, list: 8,
};

export interface WorkloadOptions {
  clients: number;
  /** keys per client */
  keysPerClient: number;
  /** the largest single PUT (bytes); sizes are log-uniform from 1 KiB up to it */
  maxPutBytes: number;
  /** bodies up to this size are sent from memory (replayable), larger ones streamed */
  replayableBytes: number;
  /** a request that takes longer is abandoned by the client and counted as an error */
  requestTimeoutMs: number;
}

export interface OpRecord {
  kind: OpKind;
  /** ms since the run started */
  at: number;
  ms: number;
  ok: boolean;
  error?: string;
}

/** Checks an answer against the model; returns a violation message or null. */
type Check = () => Promise<string | null>;

const PART_BYTES = 5 * MiB;

export class Workload {
  readonly model = new KeyModel();
  readonly ops: OpRecord[] = [];
  readonly violations: string[] = [];
  /** per key, what was done to it and how it ended: shown with a violation */
  private readonly history = new Map<string, string[]>();
  private stopped = false;
  private readonly started = Date.now();
  private serial = 0;

  constructor(
    private readonly clients: S3Client[],
    private readonly bucket: string,
    private readonly prngs: Prng[],
    private readonly options: WorkloadOptions,
  ) {}

  static keyOf(client: number, n: number): string {
    return `chaos/c${client}/k${n}`;
  }

  /** Runs every client until stop(); resolves when they have all finished their last request. */
  async run(): Promise<void> {
    await Promise.all(this.clients.map((_, i) => this.client(i)));
  }

  /** What was done to `key` (the last entries), for a failure message. */
  historyOf(key: string): string {
    return (this.history.get(key) ?? []).slice(-8).join(' / ');
  }

  /** per client, the source key of the copy under way (for the history) */
  private readonly copySource = new Map<number, string>();

  private note(key: string, line: string): void {
    const h = this.history.get(key) ?? [];
    h.push(line);
    this.history.set(key, h);
  }

  stop(): void {
    this.stopped = true;
  }

  elapsed(): number {
    return Date.now() - this.started;
  }

  private async client(i: number): Promise<void> {
    const rng = this.prngs[i]!;
    while (!this.stopped) {
      const kind = rng.weighted(OP_WEIGHTS);
      const key = Workload.keyOf(i, rng.int(0, this.options.keysPerClient - 1));
      const at = this.elapsed();
      const t0 = performance.now();
      let error: string | undefined;
      try {
        const check = await this.op(i, rng, kind, key);
        const violation = check ? await check() : null;
        if (violation) this.violations.push(`${kind} ${key} at ${at} ms: ${violation}; history: ${this.historyOf(key)}`);
      } catch (err) {
        error = describe(err);
      }
      const source = this.copySource.get(i);
      this.note(key, `${at}ms ${kind}${source ? ` from ${source}` : ''} ${error ?? 'ok'}`);
      this.copySource.delete(i);
      this.ops.push({ kind, at, ms: performance.now() - t0, ok: error === undefined, ...(error ? { error } : {}) });
    }
  }

  private send<T = unknown>(i: number, command: unknown): Promise<T> {
    return this.clients[i]!.send(command as never, { abortSignal: AbortSignal.timeout(this.options.requestTimeoutMs) }) as Promise<T>;
  }

  /** A new value for a PUT: its own seed, a log-uniform size. */
  private newSegment(i: number, rng: Prng, size: number) {
    return { size, seed: `c${i}-${this.serial++}-${rng.int(0, 1e9)}` };
  }

  /**
   * Performs one operation and updates the model from its answer. Returns the check of a
   * read's answer against the states the key could hold when it was asked, or null.
   */
  private async op(i: number, rng: Prng, kind: OpKind, key: string): Promise<Check | null> {
    const b = this.bucket;
    const model = this.model;
    switch (kind) {
      case 'put': {
        const size = rng.logSize(KiB, this.options.maxPutBytes);
        const seg = this.newSegment(i, rng, size);
        const value = valueOf([seg]);
        const body = size <= this.options.replayableBytes ? patternBytes(size, seg.seed) : patternStream(size, seg.seed);
        await this.write(key, value, () => this.send(i, new PutObjectCommand({ Bucket: b, Key: key, Body: body, ContentLength: size })));
        return null;
      }
      case 'multipart': {
        const last = this.newSegment(i, rng, rng.logSize(KiB, 2 * MiB));
        const first = this.newSegment(i, rng, PART_BYTES);
        const value = valueOf([first, last]);
        const { UploadId } = await this.send<{ UploadId: string }>(i, new CreateMultipartUploadCommand({ Bucket: b, Key: key }));
        try {
          const etags: string[] = [];
          for (const [n, seg] of [first, last].entries()) {
            const part = await this.send<{ ETag: string }>(i, new UploadPartCommand({
              Bucket: b, Key: key, UploadId, PartNumber: n + 1, Body: patternBytes(seg.size, seg.seed), ContentLength: seg.size,
            }));
            etags.push(part.ETag);
          }
          await this.write(key, value, () => this.send(i, new CompleteMultipartUploadCommand({
            Bucket: b, Key: key, UploadId, MultipartUpload: { Parts: etags.map((ETag, n) => ({ PartNumber: n + 1, ETag })) },
          })));
        } catch (err) {
          // An upload that did not complete is aborted (best effort: the stale sweep takes the rest).
          await this.send(i, new AbortMultipartUploadCommand({ Bucket: b, Key: key, UploadId })).catch(() => undefined);
          throw err;
        }
        return null;
      }
      case 'copy': {
        const source = Workload.keyOf(i, rng.int(0, this.options.keysPerClient - 1));
        if (source === key) return null;
        this.copySource.set(i, source);
        const sources = model.possible(source).filter((s): s is Value => s !== null);
        const known = model.known(source);
        if (known === null) return null; // copying a key known absent answers NoSuchKey: nothing to learn
        if (known !== undefined) {
          await this.write(key, known, () => this.send(i, new CopyObjectCommand({ Bucket: b, Key: key, CopySource: `${b}/${source}` })));
        } else {
          // The source's state is uncertain: the target may get any of its values, or stay.
          try {
            await this.send(i, new CopyObjectCommand({ Bucket: b, Key: key, CopySource: `${b}/${source}` }));
          } catch (err) {
            if (!isNotFound(err)) {
              for (const s of sources) model.unknown(key, s);
            }
            throw err;
          }
          // The copy succeeded: the target holds one of the source's values, nothing older.
          model.acknowledged(key, sources[0]!);
          for (const s of sources.slice(1)) model.unknown(key, s);
        }
        return null;
      }
      case 'delete':
        await this.write(key, null, () => this.send(i, new DeleteObjectCommand({ Bucket: b, Key: key })));
        return null;
      case 'deleteObjects': {
        const keys = [...new Set(Array.from({ length: rng.int(2, 4) }, () => Workload.keyOf(i, rng.int(0, this.options.keysPerClient - 1))))];
        let answer: { Deleted?: Array<{ Key?: string }>; Errors?: Array<{ Key?: string }> };
        try {
          answer = await this.send(i, new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
        } catch (err) {
          for (const k of keys) model.unknown(k, null);
          throw err;
        }
        const deleted = new Set((answer.Deleted ?? []).map((d) => d.Key));
        for (const k of keys) {
          if (deleted.has(k)) model.acknowledged(k, null);
          else model.unknown(k, null);
        }
        if ((answer.Errors ?? []).length > 0) throw new Error(`DeleteObjects: ${answer.Errors!.length} keys failed`);
        return null;
      }
      case 'get':
      case 'head':
      case 'range': {
        const possible = model.possible(key);
        const present = possible.filter((s): s is Value => s !== null);
        let range: [number, number] | null = null;
        const known = model.known(key);
        if (kind === 'range') {
          if (!known || known.size < 2) return null; // a range needs one known size
          const start = rng.int(0, known.size - 1);
          range = [start, Math.min(known.size - 1, start + rng.logSize(1, 4 * MiB))];
        }
        let answer: { status: number; size?: number; etag?: string; md5?: string; bytes?: Buffer };
        try {
          if (kind === 'head') {
            const h = await this.send<{ ContentLength?: number; ETag?: string }>(i, new HeadObjectCommand({ Bucket: b, Key: key }));
            answer = { status: 200, size: h.ContentLength };
          } else {
            const g = await this.send<{ Body: AsyncIterable<Uint8Array>; ContentLength?: number }>(i, new GetObjectCommand({
              Bucket: b, Key: key, ...(range ? { Range: `bytes=${range[0]}-${range[1]}` } : {}),
            }));
            if (range) {
              const chunks: Buffer[] = [];
              for await (const c of g.Body) chunks.push(Buffer.from(c));
              answer = { status: 206, bytes: Buffer.concat(chunks) };
            } else {
              const md5 = createHash('md5');
              let size = 0;
              for await (const c of g.Body) {
                md5.update(c);
                size += c.length;
              }
              answer = { status: 200, size, md5: md5.digest('hex') };
            }
          }
        } catch (err) {
          if (!isNotFound(err)) throw err;
          return async () => (possible.includes(null) ? null : `404, but the key holds one of ${possible.map(valueName).join(' | ')}`);
        }
        return async () => {
          if (range) {
            const want = await valueRange(known!, range[0], range[1]);
            return answer.bytes!.equals(want) ? null : `range ${range[0]}-${range[1]}: ${answer.bytes!.length} bytes differ from the acknowledged value`;
          }
          for (const v of present) {
            if (v.size !== answer.size) continue;
            if (kind === 'head' || (await valueMd5(v)) === answer.md5) return null;
          }
          return `read ${answer.size} bytes (md5 ${answer.md5 ?? '-'}) matching none of ${possible.map(valueName).join(' | ')}`;
        };
      }
      case 'list': {
        const prefix = `chaos/c${i}/`;
        const listed = new Map<string, number>();
        let token: string | undefined;
        do {
          const page = await this.send<{ Contents?: Array<{ Key?: string; Size?: number }>; NextContinuationToken?: string }>(i,
            new ListObjectsV2Command({ Bucket: b, Prefix: prefix, MaxKeys: 5, ...(token ? { ContinuationToken: token } : {}) }));
          for (const o of page.Contents ?? []) listed.set(o.Key!, o.Size!);
          token = page.NextContinuationToken;
        } while (token);
        return async () => {
          const wrong: string[] = [];
          for (let n = 0; n < this.options.keysPerClient; n++) {
            const k = Workload.keyOf(i, n);
            const possible = model.possible(k);
            const size = listed.get(k);
            const fits = size === undefined ? possible.includes(null) : possible.some((s) => s !== null && s.size === size);
            if (!fits) wrong.push(`${k} listed ${size === undefined ? 'absent' : `${size} bytes`}, may be ${possible.map(valueName).join(' | ')}`);
          }
          return wrong.length === 0 ? null : wrong.join('; ');
        };
      }
    }
  }

  /** A write of `state` to `key`: acknowledged → known; failed → the key may hold it too. */
  private async write(key: string, state: State, request: () => Promise<unknown>): Promise<void> {
    this.note(key, `writing ${valueName(state)}`);
    try {
      await request();
    } catch (err) {
      this.model.unknown(key, state);
      throw err;
    }
    this.model.acknowledged(key, state);
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.$metadata?.httpStatusCode === 404 || e?.name === 'NoSuchKey' || e?.name === 'NotFound';
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  // An S3 answer by its status and code; anything else (a cut connection, a timeout) by its message.
  return status ? `${status} ${e?.name ?? 'Error'}` : `${e?.name ?? 'Error'}: ${(e?.message ?? '').slice(0, 60)}`;
}
