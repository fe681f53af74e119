// What the machine itself charges for work the gateway must do whatever its design: the
// large-PUT target is "the proxy's CPU per MB plus MD5's own", so MD5 is timed alone here,
// in the benchmark process, on the same machine and in the same run as the rows it judges.
import { createHash } from 'node:crypto';

const CHUNK = 64 * 1024;
const BYTES = 256 * 1024 * 1024;

export interface Calibration {
  /** CPU ms to MD5 one MB (10⁶ bytes), fed in 64 KiB chunks as a stream arrives */
  md5MsPerMB: number;
}

export function calibrate(): Calibration {
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  const hash = (bytes: number) => {
    const h = createHash('md5');
    for (let done = 0; done < bytes; done += CHUNK) h.update(chunk);
    h.digest();
  };
  hash(8 * CHUNK); // warm-up
  const start = process.cpuUsage();
  hash(BYTES);
  const used = process.cpuUsage(start);
  return { md5MsPerMB: (used.user + used.system) / 1e3 / (BYTES / 1e6) };
}
