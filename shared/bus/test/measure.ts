// Throughput and latency of the NATS bus on this machine (not a test: it asserts nothing).
//   node --conditions=source --import tsx shared/bus/test/measure.ts [events] [handler concurrency]
// live:    events appended one transaction at a time while the bus runs (notify() after each);
//          events/s from the first append to the last delivery, and the latency from each
//          commit to its handler starting.
// backlog: the same number of events already in the outbox when the bus starts; events/s
//          from start() to the last delivery (relay and consumer at full speed).
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { NatsBus } from '../src/index.js';
import { appendEvents, natsUrl, openBusRun, waitFor, type BusRun } from './support.js';

const COUNT = Number(process.argv[2] ?? 5000);
const CONCURRENCY = process.argv[3] === undefined ? undefined : Number(process.argv[3]);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

/** A bus whose handler notes when each event (by its `n`, the object's size) started. */
function timedBus(run: BusRun, started: Map<number, number>): NatsBus {
  const bus = run.bus({ service: 'measure', maxDeliver: 5, relayIntervalMs: 1000, concurrency: CONCURRENCY });
  bus.subscribe({
    consumer: 'timing',
    types: ['object.created'],
    handler: async (e) => void started.set(e.data.size, performance.now()),
  });
  return bus;
}

async function live(): Promise<void> {
  const run = await openBusRun();
  try {
    const started = new Map<number, number>();
    const committed = new Map<number, number>();
    const bus = timedBus(run, started);
    bus.start();
    await bus.ready();
    const t0 = performance.now();
    for (let n = 0; n < COUNT; n++) {
      await appendEvents(run.ledger, 1, () => ({}), n);
      committed.set(n, performance.now());
      bus.notify();
    }
    const appendedIn = performance.now() - t0;
    await waitFor(`${COUNT} deliveries`, () => started.size === COUNT, 300_000);
    const total = Math.max(...started.values()) - t0;
    const latencies = [...committed].map(([n, at]) => started.get(n)! - at).sort((a, b) => a - b);
    console.log(
      `live:    ${COUNT} events in ${total.toFixed(0)} ms = ${((COUNT / total) * 1000).toFixed(0)} events/s ` +
        `(appending alone took ${appendedIn.toFixed(0)} ms); commit -> handler start: ` +
        `median ${percentile(latencies, 0.5).toFixed(2)} ms, p95 ${percentile(latencies, 0.95).toFixed(2)} ms, ` +
        `max ${latencies[latencies.length - 1]!.toFixed(2)} ms`,
    );
  } finally {
    await run.cleanup();
  }
}

async function backlog(): Promise<void> {
  const run = await openBusRun();
  try {
    const started = new Map<number, number>();
    const a0 = performance.now();
    await appendEvents(run.ledger, COUNT);
    const appendedIn = performance.now() - a0;
    const bus = timedBus(run, started);
    const t0 = performance.now();
    bus.start();
    await waitFor(`${COUNT} events in the stream`, async () => {
      const info = await run.jsm.streams.info(run.stream).catch(() => null);
      return info?.state.messages === COUNT;
    }, 300_000);
    const relayed = performance.now() - t0;
    await waitFor(`${COUNT} deliveries`, () => started.size === COUNT, 300_000);
    const total = Math.max(...started.values()) - t0;
    const rate = (ms: number) => ((COUNT / ms) * 1000).toFixed(0);
    console.log(
      `backlog: ${COUNT} events delivered in ${total.toFixed(0)} ms = ${rate(total)} events/s from start() (connect included); ` +
        `all in the stream after ${relayed.toFixed(0)} ms = ${rate(relayed)} events/s relayed ` +
        `(appending them with no bus running: ${rate(appendedIn)} events/s)`,
    );
  } finally {
    await run.cleanup();
  }
}

console.log(
  `NATS bus at ${natsUrl}; node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; SQLite outbox; ` +
    `handler concurrency ${CONCURRENCY ?? 'default'}`,
);
await live();
await backlog();
