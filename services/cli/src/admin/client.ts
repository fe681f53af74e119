// A client of the gateway's admin API: each request signed with SigV4 by the `auth.root`
// credential (Authorization header, signed body hash), as the gateway verifies it.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  ALGORITHM, amzDateOf, canonicalQuery, canonicalRequest, canonicalUriOf, credentialScope, deriveSigningKey, sha256Hex,
  signatureHex, stringToSign,
} from '@s3o/s3';

export interface AdminCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface AdminCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** below /admin/api, e.g. `/verify` */
  path: string;
  query?: Array<[string, string]>;
  /** a JSON value to send as the body */
  json?: unknown;
}

export interface AdminAnswer {
  status: number;
  /** the parsed JSON body (the admin API always answers JSON) */
  body: unknown;
}

const REGION = 'us-east-1';
const SERVICE = 's3';
/** Verify walks every backend; give it time. */
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

/** A signed request: the path to send (with its canonical query) and its headers. */
export interface SignedRequest {
  path: string;
  headers: Record<string, string>;
}

/**
 * Signs `method url` with `body`: host, x-amz-date, x-amz-content-sha256 (+ content-type
 * for a body) are signed. The query is sent exactly in its canonical form, so what the
 * gateway reads is what was signed.
 */
export function signAdminRequest(
  credential: AdminCredential, method: string, url: URL, query: Array<[string, string]>, body: Buffer, now: Date = new Date(),
): SignedRequest {
  const amzDate = amzDateOf(now);
  const payloadHash = sha256Hex(body);
  const headers: Record<string, string> = { host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash };
  if (body.length > 0) headers['content-type'] = 'application/json';
  const signedHeaders = Object.keys(headers).sort();
  const canonicalUri = canonicalUriOf(url.pathname);
  const queryText = canonicalQuery(query);
  const canonical = canonicalRequest({ method, canonicalUri, canonicalQuery: queryText, headers, signedHeaders, payloadHash });
  const scope = credentialScope(amzDate.slice(0, 8), REGION, SERVICE);
  const key = deriveSigningKey(credential.secretAccessKey, amzDate.slice(0, 8), REGION, SERVICE);
  const signature = signatureHex(key, stringToSign(amzDate, scope, canonical));
  headers['authorization'] = `${ALGORITHM} Credential=${credential.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return { path: queryText === '' ? url.pathname : `${url.pathname}?${queryText}`, headers };
}

/** Calls `<baseUrl>/admin/api<path>`; resolves with the status and the JSON answer. */
export function callAdminApi(baseUrl: string, credential: AdminCredential, call: AdminCall, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<AdminAnswer> {
  const url = new URL(`/admin/api${call.path}`, baseUrl);
  const body = call.json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(call.json), 'utf8');
  const signed = signAdminRequest(credential, call.method, url, call.query ?? [], body);
  const headers = { ...signed.headers, 'content-length': String(body.length) };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: signed.path, method: call.method, headers, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
          } catch {
            reject(new Error(`${url.origin} answered ${res.statusCode} with something other than JSON: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Calls an endpoint that streams NDJSON (Accept: application/x-ndjson): `onLine` gets each
 * line as it arrives. A non-NDJSON answer (a refusal, or an error before the stream began)
 * resolves with its status and JSON body instead.
 */
export function streamAdminApi(
  baseUrl: string, credential: AdminCredential, call: AdminCall, onLine: (line: Record<string, unknown>) => void, timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<AdminAnswer & { streamed: boolean }> {
  const url = new URL(`/admin/api${call.path}`, baseUrl);
  const body = call.json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(call.json), 'utf8');
  const signed = signAdminRequest(credential, call.method, url, call.query ?? [], body);
  const headers = { ...signed.headers, 'content-length': String(body.length), accept: 'application/x-ndjson' };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: signed.path, method: call.method, headers, timeout: timeoutMs },
      (res) => {
        const streamed = (res.headers['content-type'] ?? '').startsWith('application/x-ndjson');
        let pending = '';
        let last: unknown = null;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          pending += chunk;
          if (!streamed) return;
          let nl: number;
          while ((nl = pending.indexOf('\n')) !== -1) {
            const text = pending.slice(0, nl);
            pending = pending.slice(nl + 1);
            if (text.trim() === '') continue;
            last = JSON.parse(text) as Record<string, unknown>;
            onLine(last as Record<string, unknown>);
          }
        });
        res.on('error', reject);
        res.on('end', () => {
          if (streamed) return resolve({ status: res.statusCode ?? 0, body: last, streamed });
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(pending) as unknown, streamed });
          } catch {
            reject(new Error(`${url.origin} answered ${res.statusCode} with something other than JSON: ${pending.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
