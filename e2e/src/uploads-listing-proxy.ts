// s3rver can neither list multipart uploads (ListMultipartUploads answers 501) nor abort one
// (405), which every S3 provider can. This proxy in front of one s3rver answers
// `GET /<bucket>?uploads` from the uploads s3rver really has open — it keeps each as
// `<dir>/<bucket>/._S3rver_uploads/<id>/` with the key in `key` — and an abort
// (`DELETE /<bucket>/<key>?uploadId=`) by removing that upload's directory, as s3rver's own
// Complete does; every other request is forwarded unchanged. So a test exercises the code
// that lists and aborts uploads against s3rver's real upload state.
import { readdir, readFile, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export class UploadsListingProxy {
  private constructor(private readonly server: Server, readonly url: string) {}

  /** `dir`: the s3rver's directory; `target`: its endpoint. */
  static async start(dir: string, target: string): Promise<UploadsListingProxy> {
    const upstream = new URL(target);
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const bucket = url.pathname.split('/')[1] ?? '';
      if (req.method === 'GET' && url.searchParams.has('uploads') && url.pathname === `/${bucket}`) {
        void uploadsXml(dir, bucket, url.searchParams.get('prefix') ?? '').then(
          (xml) => res.writeHead(200, { 'content-type': 'application/xml' }).end(xml),
          (err: Error) => res.writeHead(500).end(err.message),
        );
        return;
      }
      const uploadId = url.searchParams.get('uploadId');
      if (req.method === 'DELETE' && uploadId !== null && /^[0-9a-f-]+$/i.test(uploadId)) {
        const key = decodeURIComponent(url.pathname.slice(bucket.length + 2));
        void abortOnDisk(dir, bucket, key, uploadId).then(
          () => res.writeHead(204).end(),
          (err: Error) => res.writeHead(500).end(err.message),
        );
        return;
      }
      const forwarded = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on('error', () => res.destroy());
      req.pipe(forwarded);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new UploadsListingProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The storage keys of the uploads open in one s3rver bucket, with their ids. */
export async function uploadsOnDisk(dir: string, bucket: string): Promise<Array<{ key: string; uploadId: string }>> {
  const uploadsDir = join(dir, bucket, '._S3rver_uploads');
  const ids = await readdir(uploadsDir).catch(() => [] as string[]);
  const found: Array<{ key: string; uploadId: string }> = [];
  for (const uploadId of ids) {
    const key = await readFile(join(uploadsDir, uploadId, 'key'), 'utf8').catch(() => null);
    if (key !== null) found.push({ key, uploadId });
  }
  return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** An upload that is not open (any more) counts as aborted, as S3's answer to a repeated abort does. */
async function abortOnDisk(dir: string, bucket: string, key: string, uploadId: string): Promise<void> {
  const uploadDir = join(dir, bucket, '._S3rver_uploads', uploadId);
  const opened = await readFile(join(uploadDir, 'key'), 'utf8').catch(() => null);
  if (opened === key) await rm(uploadDir, { recursive: true, force: true });
}

async function uploadsXml(dir: string, bucket: string, prefix: string): Promise<string> {
  const uploads = (await uploadsOnDisk(dir, bucket)).filter((u) => u.key.startsWith(prefix));
  const enc = (s: string) => encodeURIComponent(s);
  return `<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>`
    + `<EncodingType>url</EncodingType><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>`
    + uploads.map((u) => `<Upload><Key>${enc(u.key)}</Key><UploadId>${u.uploadId}</UploadId><StorageClass>STANDARD</StorageClass></Upload>`).join('')
    + '</ListMultipartUploadsResult>';
}
