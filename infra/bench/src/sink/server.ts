// The sink backend: a minimal S3 server that costs as little as an S3 server can, so a
// benchmark through it shows the gateway's own ceiling rather than a slow backend's.
// PUT bodies are read, hashed (the gateway sends Content-MD5 and compares the ETag it gets
// back) and dropped; GET serves the deterministic pattern the client uploaded, honouring
// Range. Signatures are not checked: the sink measures, it does not guard anything.
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { patternSlice, PATTERN_CHUNK_BYTES } from '../pattern.js';
import { CompleteError, objectId, SinkCatalogue, type SinkObject } from './catalogue.js';

/** Request headers an object keeps and returns on GET/HEAD. */
const ECHOED_HEADERS = new Set(['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires']);
const MAX_XML_BODY_BYTES = 1024 * 1024;

interface SinkRequest {
  req: IncomingMessage;
  res: ServerResponse;
  bucket: string;
  /** decoded object key; '' for bucket-level requests */
  key: string;
  query: URLSearchParams;
}

export function createSinkServer(): http.Server {
  const catalogue = new SinkCatalogue();
  const server = http.createServer((req, res) => {
    route(catalogue, parseRequest(req, res)).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'InternalError', err instanceof Error ? err.message : String(err), req.method === 'HEAD');
      else res.destroy();
    });
  });
  // Longer than any client's idle keep-alive, so the server never closes a socket a client is about to reuse.
  server.keepAliveTimeout = 65_000;
  return server;
}

function parseRequest(req: IncomingMessage, res: ServerResponse): SinkRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const slash = rawPath.indexOf('/', 1);
  const bucket = decodeURIComponent(slash === -1 ? rawPath.slice(1) : rawPath.slice(1, slash));
  const key = slash === -1 ? '' : decodeURIComponent(rawPath.slice(slash + 1));
  return { req, res, bucket, key, query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)) };
}

async function route(catalogue: SinkCatalogue, r: SinkRequest): Promise<void> {
  const { req, res, query } = r;
  const method = req.method ?? 'GET';
  if (r.key === '') {
    // Bucket-level: buckets always exist; listing is not something the sink can answer.
    if (method === 'HEAD' || method === 'PUT') return void res.writeHead(200, { 'content-length': 0 }).end();
    return notImplemented(r);
  }
  const id = objectId(r.bucket, r.key);
  switch (method) {
    case 'PUT':
      if (req.headers['x-amz-copy-source'] !== undefined) return notImplemented(r);
      if (query.has('uploadId')) return uploadPart(catalogue, r, id);
      return putObject(catalogue, r, id);
    case 'POST':
      if (query.has('uploads')) return createUpload(catalogue, r, id);
      if (query.has('uploadId')) return completeUpload(catalogue, r, id);
      return notImplemented(r);
    case 'DELETE':
      if (query.has('uploadId')) {
        if (!catalogue.abortUpload(id, query.get('uploadId')!)) return sendError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
        return void res.writeHead(204).end();
      }
      catalogue.delete(id);
      return void res.writeHead(204).end();
    case 'GET':
    case 'HEAD':
      return getObject(catalogue.get(id), r);
    default:
      return notImplemented(r);
  }
}

async function putObject(catalogue: SinkCatalogue, r: SinkRequest, id: string): Promise<void> {
  const received = await receiveBody(r);
  if (!received) return;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.req.headers)) {
    if (typeof value === 'string' && (ECHOED_HEADERS.has(name) || name.startsWith('x-amz-meta-'))) headers[name] = value;
  }
  const etag = received.md5.toString('hex');
  catalogue.put(id, { size: received.size, etag, lastModified: new Date(), headers });
  r.res.writeHead(200, { etag: `"${etag}"`, 'content-length': 0 }).end();
}

async function uploadPart(catalogue: SinkCatalogue, r: SinkRequest, id: string): Promise<void> {
  const uploadId = r.query.get('uploadId')!;
  const partNumber = Number(r.query.get('partNumber'));
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
    return sendError(r.res, 400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000.');
  }
  if (!catalogue.hasUpload(id, uploadId)) return sendError(r.res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  const received = await receiveBody(r);
  if (!received) return;
  catalogue.recordPart(uploadId, partNumber, received.size, received.md5);
  r.res.writeHead(200, { etag: `"${received.md5.toString('hex')}"`, 'content-length': 0 }).end();
}

async function createUpload(catalogue: SinkCatalogue, r: SinkRequest, id: string): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.req.headers)) {
    if (typeof value === 'string' && (ECHOED_HEADERS.has(name) || name.startsWith('x-amz-meta-'))) headers[name] = value;
  }
  const uploadId = catalogue.createUpload(id, headers);
  sendXml(r.res, 200,
    `<InitiateMultipartUploadResult><Bucket>${escapeXml(r.bucket)}</Bucket><Key>${escapeXml(r.key)}</Key>` +
    `<UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
}

async function completeUpload(catalogue: SinkCatalogue, r: SinkRequest, id: string): Promise<void> {
  const xml = await readSmallBody(r.req);
  const named: Array<{ partNumber: number; etag: string }> = [];
  for (const [, part] of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const number = /<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(part!)?.[1];
    const etag = /<ETag>([\s\S]*?)<\/ETag>/.exec(part!)?.[1];
    if (number === undefined || etag === undefined) return sendError(r.res, 400, 'MalformedXML', 'A part lacks PartNumber or ETag.');
    named.push({ partNumber: Number(number), etag: etag.replace(/&quot;|"/g, '').trim().toLowerCase() });
  }
  let object: SinkObject;
  try {
    object = catalogue.completeUpload(id, r.query.get('uploadId')!, named);
  } catch (err) {
    if (err instanceof CompleteError) return sendError(r.res, err.code === 'NoSuchUpload' ? 404 : 400, err.code, err.message);
    throw err;
  }
  sendXml(r.res, 200,
    `<CompleteMultipartUploadResult><Bucket>${escapeXml(r.bucket)}</Bucket><Key>${escapeXml(r.key)}</Key>` +
    `<ETag>&quot;${object.etag}&quot;</ETag></CompleteMultipartUploadResult>`);
}

async function getObject(object: SinkObject | undefined, r: SinkRequest): Promise<void> {
  const { req, res } = r;
  const head = req.method === 'HEAD';
  if (!object) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.', head);
  const range = parseRange(req.headers.range, object.size);
  if (range === 'unsatisfiable') return sendError(res, 416, 'InvalidRange', 'The requested range is not satisfiable.', head);
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : object.size;
  res.writeHead(range ? 206 : 200, {
    'content-type': 'binary/octet-stream',
    ...object.headers,
    'content-length': length,
    etag: `"${object.etag}"`,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${object.size}` } : {}),
  });
  if (head) return void res.end();
  await writePattern(res, start, length);
}

/** Writes pattern bytes [start, start + length) with backpressure. */
async function writePattern(res: ServerResponse, start: number, length: number): Promise<void> {
  let offset = start;
  const end = start + length;
  while (offset < end) {
    if (res.destroyed) return;
    const n = Math.min(PATTERN_CHUNK_BYTES, end - offset);
    const flowing = res.write(patternSlice(offset, n));
    offset += n;
    if (!flowing) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; null for no (or an unparsable, which S3 ignores) Range. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (start >= size) return 'unsatisfiable';
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (end < start) return null;
  return { start, end };
}

/**
 * Reads a plain body to its end, hashing it. Answers the error itself (and returns null)
 * when the body is framed in a way the sink does not decode, has no length, does not match
 * its length or its Content-MD5.
 */
async function receiveBody(r: SinkRequest): Promise<{ size: number; md5: Buffer } | null> {
  const { req, res } = r;
  const sha = req.headers['x-amz-content-sha256'];
  if ((typeof sha === 'string' && sha.startsWith('STREAMING-')) || /aws-chunked/i.test(req.headers['content-encoding'] ?? '')) {
    sendError(res, 501, 'NotImplemented', 'The sink backend does not decode aws-chunked bodies; send plain bodies.');
    return null;
  }
  const declared = req.headers['content-length'];
  if (declared === undefined) {
    sendError(res, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    return null;
  }
  const hash = createHash('md5');
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
  } catch {
    return null; // the client went away mid-body: nobody is left to answer
  }
  if (!req.complete || size !== Number(declared)) {
    sendError(res, 400, 'IncompleteBody', 'The body is shorter than its Content-Length.');
    return null;
  }
  const md5 = hash.digest();
  const contentMd5 = req.headers['content-md5'];
  if (typeof contentMd5 === 'string' && contentMd5 !== md5.toString('base64')) {
    sendError(res, 400, 'BadDigest', 'The Content-MD5 you specified did not match what was received.');
    return null;
  }
  return { size, md5 };
}

async function readSmallBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_XML_BODY_BYTES) throw new Error('request document too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function notImplemented(r: SinkRequest): void {
  sendError(r.res, 501, 'NotImplemented', `The sink backend does not implement ${r.req.method} ${r.req.url}.`, r.req.method === 'HEAD');
}

function sendError(res: ServerResponse, status: number, code: string, message: string, head = false): void {
  // A body left unread must not be read just to be dropped, nor left in front of the next request.
  if (!res.req.complete) res.setHeader('connection', 'close');
  if (head) return void res.writeHead(status, { 'content-length': 0 }).end();
  sendXml(res, status, `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`);
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  const bytes = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, 'utf8');
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': bytes.length }).end(bytes);
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
