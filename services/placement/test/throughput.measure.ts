// Copy throughput of replication, measured (not a test: run it by hand, numbers go in notes).
// Real s3rver backends and a SQLite ledger, as the single-process mode runs them: N objects
// are written to b1 the way the gateway writes them, then one sweep pass brings them all to
// factor 2 (GET from b1 streamed into a PUT on b2, commit per copy) and is timed.
//
//   NODE_OPTIONS=--openssl-legacy-provider node --conditions=source --import tsx services/placement/test/throughput.measure.ts
import { cpus } from 'node:os';
import { Replicator } from '../src/replication/replicator.js';
import { ReplicationSweep } from '../src/replication/sweep.js';
import { OverReplicationTrimmer } from '../src/replication/trimmer.js';
import { KeyedWorkQueue } from '../src/replication/work-queue.js';
import { logger, startWorld, writeObject } from './fixture.js';

const KiB = 1024;
const MiB = 1024 * KiB;

async function measure(count: number, size: number, concurrency: number): Promise<void> {
  const world = await startWorld({ backends: { b1: 0, b2: 0 }, config: { replication: { factor: 2, concurrency, batch_size: 50 } } });
  try {
    const body = Buffer.alloc(size, 0x5a);
    for (let i = 0; i < count; i++) await writeObject(world, `photos/measure/${String(i).padStart(5, '0')}`, body, 'b1');
    const deps = { config: world.config, ledger: world.ledger, backends: world.backends, logger };
    const replicator = new Replicator(deps);
    const queue = new KeyedWorkQueue(concurrency, concurrency * 8, async (key, signal) => void (await replicator.replicate(key, signal)), logger);
    const sweep = new ReplicationSweep({ ledger: world.ledger, settings: () => ({ batchSize: 50, factor: 2 }), replicator, trimmer: new OverReplicationTrimmer(deps), queue });
    const started = performance.now();
    const counts = await sweep.pass(new AbortController().signal);
    const seconds = (performance.now() - started) / 1000;
    await queue.stop();
    const copies = (await world.ledger.getQuotas()).find((q) => q.backendName === 'b2')!.bytesUsed / size;
    if (counts.under !== count || copies !== count) throw new Error(`expected ${count} copies, sweep saw ${JSON.stringify(counts)}, b2 holds ${copies}`);
    console.log(
      `${count} × ${size / KiB} KiB, concurrency ${concurrency}: ${seconds.toFixed(2)} s, ` +
        `${((count * size) / MiB / seconds).toFixed(1)} MiB/s, ${(count / seconds).toFixed(1)} objects/s`,
    );
  } finally {
    await world.close();
  }
}

console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
await measure(200, 64 * KiB, 5);
await measure(10, 8 * MiB, 5);
await measure(200, 64 * KiB, 1);
await measure(10, 8 * MiB, 1);
