// Warms a freshly started hop (the gateway, the proxy) before its first measured row. A
// process's first seconds under load run code the JIT has not optimised yet; without this the
// first scenario of a run paid for it: a fresh gateway spent 4.0–4.9 ms of CPU per 4 KiB PUT
// at concurrency 1 against 2.3–2.7 ms once warm (docs/performance.md, "A quiet machine, alone"),
// and the proxy, with far less code to compile, hardly anything — so the first row's ratio
// said more about start-up than about the gateway.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { runLoad } from './load.js';
import { patternBuffer } from './pattern.js';

const WARM_OBJECTS = 64;
const WARM_CONCURRENCY = 16;

/** PUT, GET and HEAD of 4 KiB objects in turn for `durationMs`, nothing measured; returns the operations done. */
export async function warmHop(s3: S3Client, bucket: string, durationMs: number): Promise<number> {
  if (durationMs <= 0) return 0;
  const body = patternBuffer(4096);
  const key = (i: number) => `warm-up/${i % WARM_OBJECTS}`;
  for (let i = 0; i < WARM_OBJECTS; i++) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key(i), Body: body, ContentLength: body.length }));
  const result = await runLoad({
    concurrency: WARM_CONCURRENCY,
    durationMs,
    minOps: WARM_CONCURRENCY,
    op: async (i) => {
      switch (i % 3) {
        case 0:
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key(i), Body: body, ContentLength: body.length }));
          return body.length;
        case 1: {
          const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key(i) }));
          return (await res.Body!.transformToByteArray()).length;
        }
        default:
          await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key(i) }));
          return 0;
      }
    },
  });
  if (result.errors > 0) throw new Error(`warming up the hop: ${result.errors} of ${result.ops + result.errors} operations failed: ${result.firstError}`);
  return result.ops;
}
