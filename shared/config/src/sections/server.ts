// `server.*`: the S3 listener (and its TLS), the size and time limits of a request, the
// limits that keep one slow or hostile client from taking everyone's slots, space and
// memory (timeouts, minimum body rate, in-flight caps per credential and per IP, the
// buffered-bytes budget), and admission control. docs/security.md explains the defaults.

import type { z } from 'zod';
import { choice, duration, integer, optionalText, parsedText, ratio, section, size } from '../fields.js';
import { parseListenAddress } from '../names.js';
import { defineSection } from '../section.js';
import { GiB, HOUR, KiB, MiB, SECOND } from '../units.js';

export interface ServerConfig {
  /** As written in the file (default `0.0.0.0:9000`). */
  listenAddr: string;
  /** Host part of `listenAddr`; `:port` means all IPv4 interfaces (`0.0.0.0`). */
  host: string;
  port: number;
  /** Largest object accepted by a single PUT (default 5 GiB). */
  maxObjectSize: number;
  /** Bytes of a request body kept to replay it to another backend (default 8 MiB). */
  replayBufferBytes: number;
  /**
   * Where larger bodies are spooled (a self-deleting temp file) so a backend that fails
   * mid-upload is retried on the next candidate for any size; null = they stream through.
   */
  spillDir: string | null;
  /** `bucket.<suffix>` virtual-hosted addressing when set. */
  virtualHostSuffix: string | null;
  backendTimeoutMs: number;
  shutdownDelayMs: number;
  /** Requests handled at once (reads and writes together); 0 = unlimited. */
  maxConcurrentRequests: number;
  /** GET/HEAD/list requests handled at once; 0 = only max_concurrent_requests applies. */
  maxConcurrentReads: number;
  /** Requests that write (PUT, POST, DELETE) handled at once, background copies included; 0 = only max_concurrent_requests applies. */
  maxConcurrentWrites: number;
  /** Above this ratio of a budget in use, new requests are shed with a probability rising to 1 at the full budget; 0 = off. */
  loadShedThreshold: number;
  /** How long a request waits for a free slot before SlowDown; 0 = answer at once. */
  admissionWaitMs: number;
  /** Longest wait for a request's headers once its connection is open; 0 = no limit. */
  readHeaderTimeoutMs: number;
  /** A connection on which no byte moves this long (between requests, or an answer not read) is closed. */
  idleTimeoutMs: number;
  /** A request body that sends no byte for this long is cut (400 RequestTimeout); 0 = no limit. */
  bodyIdleTimeoutMs: number;
  /** Longest time to receive one whole request (headers and body); 0 = no limit. */
  requestTimeoutMs: number;
  /** Bytes per second a body must average over each body_idle_timeout window; 0 = no minimum. */
  minBodyRate: number;
  /** Writes one access key may have in progress at once; 0 = unlimited. */
  maxInflightWritesPerCredential: number;
  /** Writes one client IP may have in progress at once; 0 = unlimited. */
  maxInflightWritesPerIp: number;
  /** Declared body bytes of one access key's writes in progress; 0 = unlimited. */
  maxInflightBytesPerCredential: number;
  /** Declared body bytes of one client IP's writes in progress; 0 = unlimited. */
  maxInflightBytesPerIp: number;
  /** Request bytes held in memory at once by the whole process (replay buffers, signed chunks, XML bodies); 0 = unlimited. */
  maxBufferedBytes: number;
  /** HTTPS on the S3 port when set. */
  tls: TlsConfig | null;
}

export interface TlsConfig {
  certFile: string;
  keyFile: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Clients must present a certificate signed by this CA (mutual TLS) when set. */
  clientCaFile: string | null;
}

/** `server.virtual_host_suffix`: the DNS name under which `bucket.<suffix>` hosts resolve. */
function dnsNameProblem(text: string): string | null {
  const label = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
  if (new RegExp(`^${label}(?:\\.${label})*$`).test(text)) return null;
  return `expected a DNS name like "s3.example.com", got ${JSON.stringify(text)}`;
}

const schema = section({
  listen_addr: parsedText('0.0.0.0:9000', parseListenAddress),
  max_object_size: size(5 * GiB, { allowZero: false }),
  replay_buffer_bytes: size(8 * MiB, { allowZero: true }),
  spill_dir: optionalText(),
  virtual_host_suffix: optionalText(dnsNameProblem),
  backend_timeout: duration(30 * SECOND, { allowZero: false }),
  shutdown_delay: duration(0, { allowZero: true }),
  // Admission control in the gateway: 0 = unlimited / off.
  max_concurrent_requests: integer(1024, { min: 0 }),
  max_concurrent_reads: integer(0, { min: 0 }),
  max_concurrent_writes: integer(256, { min: 0 }),
  load_shed_threshold: ratio(0, 1),
  admission_wait: duration(SECOND, { allowZero: true }),
  // Slow and hostile clients (docs/security.md).
  read_header_timeout: duration(10 * SECOND, { allowZero: true }),
  idle_timeout: duration(65 * SECOND, { allowZero: false }),
  body_idle_timeout: duration(20 * SECOND, { allowZero: true }),
  request_timeout: duration(HOUR, { allowZero: true }),
  min_body_rate: size(4 * KiB, { allowZero: true }),
  max_inflight_writes_per_credential: integer(64, { min: 0 }),
  max_inflight_writes_per_ip: integer(64, { min: 0 }),
  max_inflight_bytes_per_credential: size(20 * GiB, { allowZero: true }),
  max_inflight_bytes_per_ip: size(20 * GiB, { allowZero: true }),
  max_buffered_bytes: size(512 * MiB, { allowZero: true }),
  tls: section({
    cert_file: optionalText(),
    key_file: optionalText(),
    min_version: choice('1.2', ['1.2', '1.3']),
    client_ca_file: optionalText(),
  }),
});

type ServerDocument = z.output<typeof schema>;
type Reads = { server: ServerDocument };


export const serverSection = defineSection({
  key: 'server',
  field: 'server',
  schema,
  normalise: ({ server }: Reads): ServerConfig => ({
    listenAddr: server.listen_addr.listenAddr,
    host: server.listen_addr.host,
    port: server.listen_addr.port,
    maxObjectSize: server.max_object_size,
    replayBufferBytes: server.replay_buffer_bytes,
    spillDir: server.spill_dir,
    virtualHostSuffix: server.virtual_host_suffix,
    backendTimeoutMs: server.backend_timeout,
    shutdownDelayMs: server.shutdown_delay,
    maxConcurrentRequests: server.max_concurrent_requests,
    maxConcurrentReads: server.max_concurrent_reads,
    maxConcurrentWrites: server.max_concurrent_writes,
    loadShedThreshold: server.load_shed_threshold,
    admissionWaitMs: server.admission_wait,
    readHeaderTimeoutMs: server.read_header_timeout,
    idleTimeoutMs: server.idle_timeout,
    bodyIdleTimeoutMs: server.body_idle_timeout,
    requestTimeoutMs: server.request_timeout,
    minBodyRate: server.min_body_rate,
    maxInflightWritesPerCredential: server.max_inflight_writes_per_credential,
    maxInflightWritesPerIp: server.max_inflight_writes_per_ip,
    maxInflightBytesPerCredential: server.max_inflight_bytes_per_credential,
    maxInflightBytesPerIp: server.max_inflight_bytes_per_ip,
    maxBufferedBytes: server.max_buffered_bytes,
    tls: server.tls.cert_file === null || server.tls.key_file === null ? null : {
      certFile: server.tls.cert_file,
      keyFile: server.tls.key_file,
      minVersion: server.tls.min_version === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
      clientCaFile: server.tls.client_ca_file,
    },
  }),
  check({ server }: Reads, report) {
    const { cert_file: cert, key_file: key, client_ca_file: clientCa } = server.tls;
    // A certificate without its key (or the reverse) cannot serve TLS; plain HTTP instead would be a surprise.
    if (cert === null && typeof key === 'string') report(['server', 'tls', 'cert_file'], 'required when server.tls.key_file is set');
    if (key === null && typeof cert === 'string') report(['server', 'tls', 'key_file'], 'required when server.tls.cert_file is set');
    if (typeof clientCa === 'string' && (cert === null || key === null)) {
      report(['server', 'tls', 'client_ca_file'], 'needs server.tls.cert_file and key_file (client certificates are asked for over TLS)');
    }
  },
});
