// Request bytes the process holds in memory at once (`server.max_buffered_bytes`): replay
// buffers of small PUT bodies, signed aws-chunked chunks (held whole until their signature
// is checked, up to 16 MiB each) and XML bodies. Without a process-wide cap, many
// connections each holding "only" a bounded amount still add up to an out-of-memory kill.
// What finds the budget spent degrades or is refused: a PUT streams without a replay
// buffer (it loses failover after the first byte, not correctness); a signed chunk or an
// XML body is answered 503 SlowDown.
import { S3Error } from '@s3o/s3';

export type Give = () => void;

export class MemoryBudget {
  private used = 0;

  /** capacity 0 = unlimited */
  constructor(readonly capacity: number) {}

  /** `bytes` of the budget until the returned function is called (once); null when they do not fit. */
  tryTake(bytes: number): Give | null {
    if (this.capacity > 0 && this.used + bytes > this.capacity) return null;
    this.used += bytes;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.used -= bytes;
    };
  }

  /** Like tryTake, but a full budget is the client's 503 SlowDown. */
  take(bytes: number): Give {
    const give = this.tryTake(bytes);
    if (!give) throw new S3Error('SlowDown', { message: 'The gateway is holding as many request bytes as it may; please retry.' });
    return give;
  }
}
