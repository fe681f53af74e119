// The S3 operations the orchestrator performs on one storage backend, on plain node:http(s).
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { canonicalQuery, EMPTY_SHA256, sha256Hex, UNSIGNED_PAYLOAD } from '@s3o/s3';
import { Addressing } from './addressing.js';
import { type BackendClientConfig, DEFAULT_MAX_SOCKETS, DEFAULT_TIMEOUT_MS } from './config.js';
import { BackendError, errorFromResponse } from './errors.js';
import { quoteEtag, unquoteEtag } from './etag.js';
import {
  readMetadata,
  readStandardHeaders,
  type StandardHeaders,
  writeMetadata,
  writeStandardHeaders,
} from './metadata.js';
import { completeMultipartXml, type ListPage, type ListedUpload, parseError, parseListPage, parseResultField, parseUploadsPage } from './s3-xml.js';
import { RequestSigner } from './signer.js';
import { type Exchange, type StreamedBody, Transport } from './transport.js';
import { type BackendObserver, ObserverList } from './observe.js';

/** Cap on XML bodies read into memory (errors, listings of up to 1000 keys of up to 1 KiB each). */
const MAX_XML_BYTES = 16 * 1024 * 1024;

export interface RequestOptions {
  /** Aborting destroys the request (and a streamed body or response) at once. */
  signal?: AbortSignal;
}

export interface ObjectWriteOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  headers?: StandardHeaders;
}

export interface PutObjectOptions extends ObjectWriteOptions, RequestOptions {
  /** Exact body length in bytes; a body that turns out longer or shorter fails the request. */
  contentLength: number;
  /** Base64 MD5 of the body; the backend refuses the body (BadDigest) when it does not match. */
  contentMd5?: string;
}

export interface UploadPartOptions extends RequestOptions {
  contentMd5?: string;
}

export interface GetObjectOptions extends RequestOptions {
  /** Raw Range header value, e.g. `bytes=0-99`. */
  range?: string;
  /** ETag the object must still have (quoted or not); otherwise the call fails with 412 PreconditionFailed. */
  ifMatch?: string;
}

export interface ObjectResponseHeaders {
  /** Absent only when the backend streamed the body without announcing its length. */
  contentLength?: number;
  contentRange?: string;
  contentType?: string;
  /** Without quotes. */
  etag: string;
  lastModified?: Date;
  metadata: Record<string, string>;
  standard: StandardHeaders;
}

export interface GetObjectResult {
  /** 200, or 206 for a satisfied range. */
  status: number;
  headers: ObjectResponseHeaders;
  /** The response body, streamed as it arrives; destroy it to stop early. */
  body: Readable;
}

export interface ObjectInfo {
  size: number;
  /** Without quotes. */
  etag: string;
  contentType?: string;
  lastModified?: Date;
  metadata: Record<string, string>;
  headers: StandardHeaders;
}

export interface ListObjectsOptions extends RequestOptions {
  prefix?: string;
  continuationToken?: string;
  maxKeys?: number;
}

export interface CompletedPart {
  partNumber: number;
  /** The ETag uploadPart returned (quoted or not). */
  etag: string;
}

interface CallSpec extends RequestOptions {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** Encoded path (see Addressing). */
  path: string;
  /** Decoded query parameters. */
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: Buffer | StreamedBody;
  /** Statuses that are answers rather than failures; 2xx when absent. */
  accept?: (status: number) => boolean;
}

const isSuccess = (status: number) => status >= 200 && status < 300;
const isSuccessOrNotFound = (status: number) => isSuccess(status) || status === 404;

/**
 * Client for one backend bucket. Bodies stream in both directions; ETags are returned
 * unquoted. Backend answers, network errors and timeouts fail as BackendError; an abort
 * fails with the signal's reason and a failing body with the body's own error. Once a call
 * with a streamed body has started, any failure destroys the body stream and destroys the
 * backend request before it completes. Invalid arguments (empty key, bad metadata name,
 * header value or length) throw a TypeError before anything is sent and leave the body untouched.
 */
export class BackendClient {
  readonly name: string;
  private readonly addressing: Addressing;
  private readonly signer: RequestSigner;
  private readonly transport: Transport;
  private readonly observers = new ObserverList();

  constructor(config: BackendClientConfig) {
    this.name = config.name;
    this.addressing = new Addressing(config.endpoint, config.bucket, config.forcePathStyle ?? true);
    this.signer = new RequestSigner(config.accessKeyId, config.secretAccessKey, config.region);
    this.transport = new Transport({
      backend: config.name,
      protocol: this.addressing.protocol,
      hostname: this.addressing.hostname,
      port: this.addressing.port,
      timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxSockets: config.maxSockets ?? DEFAULT_MAX_SOCKETS,
      ca: config.caFile ? readFileSync(config.caFile) : undefined,
    });
  }

  async putObject(key: string, body: Readable, options: PutObjectOptions): Promise<{ etag: string }> {
    const headers = objectWriteHeaders(options);
    if (options.contentMd5) headers['content-md5'] = options.contentMd5;
    const exchange = await this.call('PutObject', {
      method: 'PUT',
      path: this.addressing.objectPath(key),
      headers,
      body: streamedBody(body, options.contentLength),
      signal: options.signal,
    });
    await exchange.readText(MAX_XML_BYTES);
    return { etag: this.requireEtag(exchange.response, 'PutObject') };
  }

  async getObject(key: string, options: GetObjectOptions = {}): Promise<GetObjectResult> {
    const headers: Record<string, string> = {};
    if (options.range) headers['range'] = options.range;
    if (options.ifMatch) headers['if-match'] = options.ifMatch === '*' ? '*' : quoteEtag(options.ifMatch);
    const exchange = await this.call('GetObject', {
      method: 'GET',
      path: this.addressing.objectPath(key),
      headers,
      signal: options.signal,
    });
    const { response } = exchange;
    const h = response.headers;
    return {
      status: response.statusCode!,
      headers: {
        contentLength: h['content-length'] === undefined ? undefined : Number(h['content-length']),
        contentRange: h['content-range'],
        contentType: h['content-type'],
        etag: unquoteEtag(h['etag'] ?? ''),
        lastModified: dateHeader(h),
        metadata: readMetadata(h),
        standard: readStandardHeaders(h),
      },
      body: response,
    };
  }

  /** The object's identity, or null when there is no such key. */
  async headObject(key: string, options: RequestOptions = {}): Promise<ObjectInfo | null> {
    const exchange = await this.call('HeadObject', {
      method: 'HEAD',
      path: this.addressing.objectPath(key),
      signal: options.signal,
      accept: isSuccessOrNotFound,
    });
    await exchange.readText(MAX_XML_BYTES);
    if (exchange.response.statusCode === 404) return null;
    const h = exchange.response.headers;
    return {
      size: Number(h['content-length'] ?? 0),
      etag: unquoteEtag(h['etag'] ?? ''),
      contentType: h['content-type'],
      lastModified: dateHeader(h),
      metadata: readMetadata(h),
      headers: readStandardHeaders(h),
    };
  }

  /** Deletes the key; a key that does not exist counts as deleted. */
  async deleteObject(key: string, options: RequestOptions = {}): Promise<void> {
    const exchange = await this.call('DeleteObject', {
      method: 'DELETE',
      path: this.addressing.objectPath(key),
      signal: options.signal,
      accept: isSuccessOrNotFound,
    });
    await exchange.readText(MAX_XML_BYTES);
  }

  /**
   * Server-side copy within this backend's bucket; content type, headers and metadata are
   * copied — or, with `replace`, replaced by the given ones (a copy of an object onto itself
   * with `replace` rewrites its metadata without moving its bytes).
   */
  async copyObject(srcKey: string, dstKey: string, options: RequestOptions & { replace?: ObjectWriteOptions } = {}): Promise<{ etag: string }> {
    const exchange = await this.call('CopyObject', {
      method: 'PUT',
      path: this.addressing.objectPath(dstKey),
      headers: {
        ...(options.replace ? objectWriteHeaders(options.replace) : {}),
        'x-amz-copy-source': this.addressing.copySource(srcKey),
        'x-amz-metadata-directive': options.replace ? 'REPLACE' : 'COPY',
      },
      signal: options.signal,
    });
    const etag = await this.resultField(exchange, 'CopyObject', 'CopyObjectResult', 'ETag');
    return { etag: unquoteEtag(etag) };
  }

  /** Returns the backend's upload id. */
  async createMultipartUpload(key: string, options: ObjectWriteOptions & RequestOptions = {}): Promise<string> {
    const exchange = await this.call('CreateMultipartUpload', {
      method: 'POST',
      path: this.addressing.objectPath(key),
      query: [['uploads', '']],
      headers: objectWriteHeaders(options),
      signal: options.signal,
    });
    return this.resultField(exchange, 'CreateMultipartUpload', 'InitiateMultipartUploadResult', 'UploadId');
  }

  /** Streams one part; returns its ETag (unquoted). */
  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    contentLength: number,
    options: UploadPartOptions = {},
  ): Promise<string> {
    const exchange = await this.call('UploadPart', {
      method: 'PUT',
      path: this.addressing.objectPath(key),
      query: [
        ['partNumber', String(partNumber)],
        ['uploadId', uploadId],
      ],
      headers: options.contentMd5 ? { 'content-md5': options.contentMd5 } : {},
      body: streamedBody(body, contentLength),
      signal: options.signal,
    });
    await exchange.readText(MAX_XML_BYTES);
    return this.requireEtag(exchange.response, 'UploadPart');
  }

  /**
   * Server-side copy of (a byte range of) an object in this backend's bucket into part
   * `partNumber` of an open upload; returns the part's ETag (unquoted). A backend that cannot
   * (405/501, as s3rver) fails with BackendUnsupportedError.
   */
  async uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    srcKey: string,
    range: { start: number; end: number } | null,
    options: RequestOptions = {},
  ): Promise<string> {
    const exchange = await this.call('UploadPartCopy', {
      method: 'PUT',
      path: this.addressing.objectPath(key),
      query: [
        ['partNumber', String(partNumber)],
        ['uploadId', uploadId],
      ],
      headers: {
        'x-amz-copy-source': this.addressing.copySource(srcKey),
        ...(range ? { 'x-amz-copy-source-range': `bytes=${range.start}-${range.end}` } : {}),
      },
      signal: options.signal,
    });
    return unquoteEtag(await this.resultField(exchange, 'UploadPartCopy', 'CopyPartResult', 'ETag'));
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    options: RequestOptions = {},
  ): Promise<{ etag: string }> {
    const exchange = await this.call('CompleteMultipartUpload', {
      method: 'POST',
      path: this.addressing.objectPath(key),
      query: [['uploadId', uploadId]],
      headers: { 'content-type': 'application/xml' },
      body: Buffer.from(completeMultipartXml(parts), 'utf8'),
      signal: options.signal,
    });
    // moto's server names the document CompleteMultipartUploadResponse; AWS …Result.
    const etag = await this.resultField(exchange, 'CompleteMultipartUpload', ['CompleteMultipartUploadResult', 'CompleteMultipartUploadResponse'], 'ETag');
    return { etag: unquoteEtag(etag) };
  }

  /**
   * Aborts an upload; an upload that no longer exists counts as aborted. A backend that
   * cannot abort (405/501) fails with BackendUnsupportedError.
   */
  async abortMultipartUpload(key: string, uploadId: string, options: RequestOptions = {}): Promise<void> {
    const exchange = await this.call('AbortMultipartUpload', {
      method: 'DELETE',
      path: this.addressing.objectPath(key),
      query: [['uploadId', uploadId]],
      signal: options.signal,
      accept: isSuccessOrNotFound,
    });
    await exchange.readText(MAX_XML_BYTES);
  }

  /**
   * The open multipart uploads of exactly `key` (ListMultipartUploads with it as prefix,
   * every page): how an upload whose id was never learned — its CreateMultipartUpload's
   * answer was lost — is found to be aborted. A backend that cannot list uploads (405/501)
   * fails with BackendUnsupportedError.
   */
  async listUploadsOf(key: string, options: RequestOptions = {}): Promise<ListedUpload[]> {
    return (await this.listUploads(key, options)).filter((u) => u.key === key);
  }

  /**
   * Every open multipart upload whose key starts with `prefix` ('' for the whole bucket),
   * every page: a ledger rebuild finds the uploads the lost ledger knew of this way. A
   * backend that cannot list uploads (405/501) fails with BackendUnsupportedError.
   */
  async listUploads(prefix: string, options: RequestOptions = {}): Promise<ListedUpload[]> {
    const found: ListedUpload[] = [];
    let markers: { keyMarker: string; uploadIdMarker: string } | undefined;
    do {
      const query: Array<[string, string]> = [['uploads', ''], ['encoding-type', 'url']];
      if (prefix !== '') query.push(['prefix', prefix]);
      if (markers) query.push(['key-marker', markers.keyMarker], ['upload-id-marker', markers.uploadIdMarker]);
      const exchange = await this.call('ListMultipartUploads', { method: 'GET', path: this.addressing.bucketPath(), query, signal: options.signal });
      const xml = await exchange.readText(MAX_XML_BYTES);
      const page = parseUploadsPage(xml);
      if (!page) throw this.failedAnswer(exchange.response, 'ListMultipartUploads', xml);
      found.push(...page.uploads);
      markers = page.next;
    } while (markers);
    return found;
  }

  /** Resolves when the bucket exists and the credentials may use it. */
  async headBucket(options: RequestOptions = {}): Promise<void> {
    const exchange = await this.call('HeadBucket', {
      method: 'HEAD',
      path: this.addressing.bucketPath(),
      signal: options.signal,
    });
    await exchange.readText(MAX_XML_BYTES);
  }

  /** One page of ListObjectsV2, in the backend's key order. */
  async listObjects(options: ListObjectsOptions = {}): Promise<ListPage> {
    // encoding-type=url lets keys with characters XML cannot carry be listed too.
    const query: Array<[string, string]> = [
      ['list-type', '2'],
      ['encoding-type', 'url'],
    ];
    if (options.prefix) query.push(['prefix', options.prefix]);
    if (options.continuationToken) query.push(['continuation-token', options.continuationToken]);
    if (options.maxKeys !== undefined) query.push(['max-keys', String(options.maxKeys)]);
    const exchange = await this.call('ListObjectsV2', {
      method: 'GET',
      path: this.addressing.bucketPath(),
      query,
      signal: options.signal,
    });
    const xml = await exchange.readText(MAX_XML_BYTES);
    const page = parseListPage(xml);
    if (!page) throw this.failedAnswer(exchange.response, 'ListObjectsV2', xml);
    return page;
  }

  /** Reports every call of this client to `observer` (breakers, metering, metrics, tracing); returns the remover. */
  observe(observer: BackendObserver): () => void {
    return this.observers.add(observer);
  }

  /** Closes pooled connections; calls still running fail. */
  close(): void {
    this.transport.close();
  }

  /** Signs and sends one request; resolves when the response's status is accepted, throws its error otherwise. */
  private async call(operation: string, spec: CallSpec): Promise<Exchange> {
    const headers: Record<string, string> = { host: this.addressing.hostHeader, ...spec.headers };
    let payloadHash: string;
    if (spec.body === undefined) {
      payloadHash = EMPTY_SHA256;
      // Without a length, Node would send PUT/POST bodies chunked, which S3 refuses.
      if (spec.method === 'PUT' || spec.method === 'POST') headers['content-length'] = '0';
    } else if (Buffer.isBuffer(spec.body)) {
      payloadHash = sha256Hex(spec.body);
      headers['content-length'] = String(spec.body.length);
    } else {
      payloadHash = UNSIGNED_PAYLOAD;
      headers['content-length'] = String(spec.body.length);
    }
    const query = spec.query ? canonicalQuery(spec.query) : '';
    this.signer.sign({ method: spec.method, canonicalUri: spec.path, canonicalQuery: query, headers, payloadHash });

    const ingressBytes = spec.body?.length ?? 0;
    const end = this.observers.size === 0 ? null : this.observers.start({ backend: this.name, operation, method: spec.method, ingressBytes });
    const started = performance.now();
    let exchange: Exchange;
    try {
      exchange = await this.transport.send(
        { method: spec.method, path: query ? `${spec.path}?${query}` : spec.path, headers, body: spec.body, signal: spec.signal },
        operation,
      );
    } catch (err) {
      end?.({ status: 0, error: err as Error, durationMs: performance.now() - started, egressBytes: 0, cutShort: false });
      throw err;
    }
    const { response } = exchange;
    const status = response.statusCode ?? 0;
    if ((spec.accept ?? isSuccess)(status)) {
      if (end) {
        response.once('close', () => {
          end({ status, durationMs: performance.now() - started, egressBytes: exchange.bodyBytesReceived(), cutShort: !response.complete });
        });
      }
      return exchange;
    }
    const err = await this.failure(exchange, operation);
    end?.({ status, error: err, durationMs: performance.now() - started, egressBytes: exchange.bodyBytesReceived(), cutShort: false });
    throw err;
  }

  /** Reads the error document of a failed answer and stops whatever is still running. */
  private async failure(exchange: Exchange, operation: string): Promise<BackendError> {
    const xml = await exchange.readText(MAX_XML_BYTES);
    const err = this.failedAnswer(exchange.response, operation, xml);
    exchange.abandon(err);
    return err;
  }

  /** The error an answer stands for: its <Error> document, or its status when it has none. */
  private failedAnswer(response: IncomingMessage, operation: string, xml: string): BackendError {
    const details = parseError(xml) ?? {};
    const requestId = details.requestId ?? headerText(response.headers['x-amz-request-id']);
    const status = response.statusCode ?? 0;
    if (!details.code && isSuccess(status)) {
      return new BackendError({
        backend: this.name,
        operation,
        status,
        code: 'InvalidResponse',
        message: `unexpected response body: ${xml.slice(0, 200)}`,
        retriable: false,
        requestId,
      });
    }
    return errorFromResponse(this.name, operation, status, { ...details, requestId });
  }

  /**
   * Reads a success document's field. S3 may answer Copy and CompleteMultipartUpload with
   * 200 and then an <Error> body (it sends the status before the work is done).
   */
  private async resultField(exchange: Exchange, operation: string, root: string | readonly string[], field: string): Promise<string> {
    const xml = await exchange.readText(MAX_XML_BYTES);
    const value = (typeof root === 'string' ? [root] : root).map((r) => parseResultField(xml, r, field)).find((v) => v !== undefined);
    if (value === undefined) throw this.failedAnswer(exchange.response, operation, xml);
    return value;
  }

  private requireEtag(response: IncomingMessage, operation: string): string {
    const etag = headerText(response.headers['etag']);
    if (etag) return unquoteEtag(etag);
    throw new BackendError({
      backend: this.name,
      operation,
      status: response.statusCode ?? 0,
      code: 'InvalidResponse',
      message: 'response has no ETag header',
      retriable: false,
    });
  }
}

/** One client per configured backend, by name. */
export function createBackendClients(configs: readonly BackendClientConfig[]): Map<string, BackendClient> {
  const clients = new Map<string, BackendClient>();
  for (const config of configs) {
    if (clients.has(config.name)) throw new TypeError(`duplicate backend name: ${config.name}`);
    clients.set(config.name, new BackendClient(config));
  }
  return clients;
}

function objectWriteHeaders(options: ObjectWriteOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.contentType) headers['content-type'] = options.contentType;
  writeStandardHeaders(headers, options.headers);
  writeMetadata(headers, options.metadata);
  return headers;
}

function streamedBody(stream: Readable, length: number): StreamedBody {
  if (!Number.isSafeInteger(length) || length < 0) throw new TypeError(`invalid content length: ${length}`);
  return { stream, length };
}

function dateHeader(headers: IncomingHttpHeaders): Date | undefined {
  const value = headers['last-modified'];
  return value ? new Date(value) : undefined;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
