// What the sink remembers: per object only its size, ETag and the headers it must echo,
// never its bytes (those are the deterministic pattern, see ../pattern.ts). Multipart
// uploads keep each part's size and MD5 so Complete can compute S3's multipart ETag.
import { createHash, randomUUID } from 'node:crypto';

export interface SinkObject {
  size: number;
  /** hex, without quotes */
  etag: string;
  lastModified: Date;
  /** Content-Type, standard headers and x-amz-meta-* as received, echoed on GET/HEAD */
  headers: Record<string, string>;
}

interface SinkUpload {
  objectId: string;
  headers: Record<string, string>;
  parts: Map<number, { size: number; md5: Buffer }>;
}

export class CompleteError extends Error {
  constructor(readonly code: 'NoSuchUpload' | 'InvalidPart' | 'InvalidPartOrder' | 'MalformedXML', message: string) {
    super(message);
  }
}

/** `bucket/key` identifies an object; buckets need not be created first. */
export function objectId(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

export class SinkCatalogue {
  private readonly objects = new Map<string, SinkObject>();
  private readonly uploads = new Map<string, SinkUpload>();

  get(id: string): SinkObject | undefined {
    return this.objects.get(id);
  }

  put(id: string, object: SinkObject): void {
    this.objects.set(id, object);
  }

  delete(id: string): void {
    this.objects.delete(id);
  }

  createUpload(id: string, headers: Record<string, string>): string {
    const uploadId = randomUUID().replace(/-/g, '');
    this.uploads.set(uploadId, { objectId: id, headers, parts: new Map() });
    return uploadId;
  }

  hasUpload(id: string, uploadId: string): boolean {
    return this.uploads.get(uploadId)?.objectId === id;
  }

  recordPart(uploadId: string, partNumber: number, size: number, md5: Buffer): void {
    this.uploads.get(uploadId)?.parts.set(partNumber, { size, md5 });
  }

  abortUpload(id: string, uploadId: string): boolean {
    if (!this.hasUpload(id, uploadId)) return false;
    return this.uploads.delete(uploadId);
  }

  /** The named parts (ascending, ETags as recorded) become the object; ETag = md5(part md5s)-N. */
  completeUpload(id: string, uploadId: string, named: Array<{ partNumber: number; etag: string }>): SinkObject {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.objectId !== id) throw new CompleteError('NoSuchUpload', 'The specified upload does not exist.');
    if (named.length === 0) throw new CompleteError('MalformedXML', 'The request names no parts.');
    const digests: Buffer[] = [];
    let size = 0;
    let previous = 0;
    for (const { partNumber, etag } of named) {
      if (partNumber <= previous) throw new CompleteError('InvalidPartOrder', 'Parts must be listed in ascending order.');
      previous = partNumber;
      const part = upload.parts.get(partNumber);
      if (!part || part.md5.toString('hex') !== etag) {
        throw new CompleteError('InvalidPart', `Part ${partNumber} was not uploaded with ETag ${etag}.`);
      }
      digests.push(part.md5);
      size += part.size;
    }
    const etag = `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${named.length}`;
    const object: SinkObject = { size, etag, lastModified: new Date(), headers: upload.headers };
    this.uploads.delete(uploadId);
    this.objects.set(id, object);
    return object;
  }
}
