// Writes in progress per access key and per client IP (`server.max_inflight_writes_per_*`,
// `server.max_inflight_bytes_per_*`). A PUT claims its declared length before it reads a
// byte, and holds an admission slot until it ends; without these caps one tenant opening
// many slow uploads that declare 5 GiB could reserve every quota (507 for all) or hold every
// write slot (503 for all). Over a cap the write is refused with 503 SlowDown before
// anything is claimed; the counts drop when the response ends, however it ends.
import { S3Error } from '@s3o/s3';

export interface InflightLimits {
  writesPerCredential: number;
  writesPerIp: number;
  bytesPerCredential: number;
  bytesPerIp: number;
}

interface Usage {
  writes: number;
  bytes: number;
}

export class InflightWrites {
  private readonly byCredential = new Map<string, Usage>();
  private readonly byIp = new Map<string, Usage>();

  constructor(private readonly limits: InflightLimits) {}

  /** Counts one write of `bytes` declared bytes; returns its release, or throws SlowDown over a cap. */
  admit(accessKeyId: string, ip: string, bytes: number): () => void {
    const credential = this.byCredential.get(accessKeyId) ?? { writes: 0, bytes: 0 };
    const client = this.byIp.get(ip) ?? { writes: 0, bytes: 0 };
    const over = (usage: Usage, maxWrites: number, maxBytes: number) =>
      (maxWrites > 0 && usage.writes + 1 > maxWrites) || (maxBytes > 0 && usage.bytes + bytes > maxBytes && usage.writes > 0);
    // A single write larger than the byte cap is still allowed when it is the only one in flight.
    if (over(credential, this.limits.writesPerCredential, this.limits.bytesPerCredential)) {
      throw new S3Error('SlowDown', { message: 'This access key has too many writes in progress; please retry.' });
    }
    if (over(client, this.limits.writesPerIp, this.limits.bytesPerIp)) {
      throw new S3Error('SlowDown', { message: 'Your address has too many writes in progress; please retry.' });
    }
    credential.writes++;
    credential.bytes += bytes;
    client.writes++;
    client.bytes += bytes;
    this.byCredential.set(accessKeyId, credential);
    this.byIp.set(ip, client);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.drop(this.byCredential, accessKeyId, bytes);
      this.drop(this.byIp, ip, bytes);
    };
  }

  private drop(map: Map<string, Usage>, name: string, bytes: number): void {
    const usage = map.get(name);
    if (!usage) return;
    usage.writes--;
    usage.bytes -= bytes;
    // Entries exist only while writes are in flight, so memory follows concurrency, not history.
    if (usage.writes <= 0) map.delete(name);
  }
}
