// `server.*`: the S3 listener, the size and time limits of a request, admission control,
// and upstream's TLS keys (refused: terminate TLS in front of the gateway).

import type { z } from 'zod';
import { duration, integer, optionalText, parsedText, ratio, recognised, section, size } from '../fields.js';
import { parseListenAddress } from '../names.js';
import { defineSection } from '../section.js';
import { GiB, MiB, SECOND } from '../units.js';

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
  virtual_host_suffix: optionalText(dnsNameProblem),
  backend_timeout: duration(30 * SECOND, { allowZero: false }),
  shutdown_delay: duration(0, { allowZero: true }),
  // Admission control in the gateway: 0 = unlimited / off.
  max_concurrent_requests: integer(0, { min: 0 }),
  max_concurrent_reads: integer(0, { min: 0 }),
  max_concurrent_writes: integer(0, { min: 0 }),
  load_shed_threshold: ratio(0, 1),
  admission_wait: duration(0, { allowZero: true }),
  tls: section({
    cert_file: optionalText(),
    key_file: optionalText(),
    min_version: recognised(),
    client_ca_file: recognised(),
  }),
});

type ServerDocument = z.output<typeof schema>;
type Reads = { server: ServerDocument };

const NO_TLS = 'TLS is not supported yet (terminate TLS in front of the gateway)';

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
    virtualHostSuffix: server.virtual_host_suffix,
    backendTimeoutMs: server.backend_timeout,
    shutdownDelayMs: server.shutdown_delay,
    maxConcurrentRequests: server.max_concurrent_requests,
    maxConcurrentReads: server.max_concurrent_reads,
    maxConcurrentWrites: server.max_concurrent_writes,
    loadShedThreshold: server.load_shed_threshold,
    admissionWaitMs: server.admission_wait,
  }),
  unsupported: [
    { key: 'server.tls.cert_file', problem: NO_TLS, isOn: ({ server }: Reads) => typeof server.tls.cert_file === 'string' },
    { key: 'server.tls.key_file', problem: NO_TLS, isOn: ({ server }: Reads) => typeof server.tls.key_file === 'string' },
  ],
});
