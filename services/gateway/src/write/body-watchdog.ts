// A request body that stalls is cut: no byte for `idleMs`, or fewer than `minBytesPerSecond`
// on average over any `idleMs` window (one byte every few seconds passes an idle timeout,
// not this). The client gets AWS's answer, 400 RequestTimeout, and whatever the request
// had claimed is released by the write path's own failure handling, at once.
//
// Time the gateway itself is not reading (backpressure from a slow backend, or a claim
// in progress) is not the client's fault: while the request is paused the clock stands.
import type { IncomingMessage } from 'node:http';
import { S3Error } from '@s3o/s3';

export interface BodyTimeLimits {
  /** 0 = no idle limit (and no rate window) */
  idleMs: number;
  /** 0 = no minimum rate */
  minBytesPerSecond: number;
}

const TICK_MIN_MS = 25;
const TICK_MAX_MS = 1000;

export function requestTimeoutError(): S3Error {
  return new S3Error('RequestTimeout');
}

/** Watches `req` until it ends or closes; calls `cut` once when it stalls. */
export function watchBody(req: IncomingMessage, limits: BodyTimeLimits, cut: (err: S3Error) => void): void {
  if (limits.idleMs <= 0 || req.complete) return;
  const windowMs = limits.idleMs;
  let lastByteAt = Date.now();
  let windowStart = lastByteAt;
  let windowBytes = 0;
  const onData = (chunk: Buffer) => {
    lastByteAt = Date.now();
    windowBytes += chunk.length;
  };
  const stop = () => {
    clearInterval(timer);
    req.off('data', onData);
  };
  const timer = setInterval(() => {
    const now = Date.now();
    if (req.complete || req.destroyed) {
      stop();
      return;
    }
    if (req.readableFlowing === false) {
      // Paused by us: the client could not have sent anything.
      lastByteAt = now;
      windowStart = now;
      windowBytes = 0;
      return;
    }
    const elapsed = now - windowStart;
    const tooSlow = limits.minBytesPerSecond > 0 && elapsed >= windowMs && windowBytes < (limits.minBytesPerSecond * elapsed) / 1000;
    if (now - lastByteAt >= limits.idleMs || tooSlow) {
      stop();
      cut(requestTimeoutError());
      return;
    }
    if (elapsed >= windowMs) {
      windowStart = now;
      windowBytes = 0;
    }
  }, Math.min(TICK_MAX_MS, Math.max(TICK_MIN_MS, Math.floor(limits.idleMs / 4))));
  timer.unref();
  // Added after the request was piped (already flowing), so it changes nothing about its flow.
  req.on('data', onData);
  req.once('end', stop);
  req.once('close', stop);
}
