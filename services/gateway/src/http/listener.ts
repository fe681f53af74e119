// The gateway's HTTP(S) server, built here rather than by fastify so the timeouts that
// protect it from slow clients are set where Node reads them (some only at construction):
//  * read_header_timeout → `headersTimeout`: a connection that has not sent a request's
//    headers by then is answered 408 and closed (slowloris);
//  * request_timeout → `requestTimeout`: receiving one whole request, body included;
//  * idle_timeout → `keepAliveTimeout` (a keep-alive connection idle between requests) and
//    the socket timeout (no byte moved either way during a request: a client that stops
//    reading its answer no longer holds a slot and a backend stream forever);
//  * `connectionsCheckingInterval`: how often Node checks the first two (30 s by default,
//    far too coarse for a 10 s limit).
// The body's own idle and rate limits are per request (write/body-watchdog.ts).
//
// With server.tls set it is an HTTPS server; `reloadTls()` reads the certificate, key and
// client CA again and swaps the secure context: connections already open keep theirs, new
// handshakes get the new one (SIGHUP in the CLI).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { ServerConfig, TlsConfig } from '@s3o/config';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface GatewayListener {
  /** fastify's serverFactory */
  factory: (handler: Handler) => http.Server;
  /** whether the server speaks TLS (fastify names its URL https://) */
  tls: boolean;
  /** Re-reads the TLS files and swaps the secure context; no-op without TLS. Throws (keeping the old context) when a file is bad. */
  reloadTls(): void;
}

function secureContextOptions(tls: TlsConfig): SecureContextOptions {
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    minVersion: tls.minVersion,
    ...(tls.clientCaFile ? { ca: readFileSync(tls.clientCaFile) } : {}),
  };
}

/** Often enough that a limit of `shortest` ms is enforced within a quarter of it, at most once per 100 ms … 1 s. */
function checkingInterval(shortest: number): number {
  return Math.min(1000, Math.max(100, Math.floor(shortest / 4)));
}

export function createListener(server: ServerConfig): GatewayListener {
  const limits = [server.readHeaderTimeoutMs, server.requestTimeoutMs].filter((ms) => ms > 0);
  // Node refuses a header timeout above the request timeout.
  const headersTimeout = server.requestTimeoutMs > 0 && server.readHeaderTimeoutMs > server.requestTimeoutMs
    ? server.requestTimeoutMs
    : server.readHeaderTimeoutMs;
  const options: http.ServerOptions = {
    requestTimeout: server.requestTimeoutMs,
    headersTimeout,
    keepAliveTimeout: server.idleTimeoutMs,
    connectionsCheckingInterval: checkingInterval(limits.length > 0 ? Math.min(...limits) : 30_000),
  };
  const tls = server.tls;
  let current: https.Server | null = null;
  const idle = (created: http.Server): http.Server => created.setTimeout(server.idleTimeoutMs, (socket) => socket.destroy());
  return {
    tls: tls !== null,
    factory: (handler) => {
      if (!tls) return idle(http.createServer(options, handler));
      current = https.createServer({
        ...options,
        ...secureContextOptions(tls),
        // Mutual TLS: a client without a certificate signed by client_ca_file gets no connection.
        ...(tls.clientCaFile ? { requestCert: true, rejectUnauthorized: true } : {}),
      }, handler);
      idle(current);
      return current;
    },
    reloadTls: () => {
      if (!tls || !current) return;
      current.setSecureContext(secureContextOptions(tls));
    },
  };
}
