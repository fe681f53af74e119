// The cleanup service as `serve` starts it: the queue worker woken through the in-process
// bus, and the reaper, the stale-multipart sweep and lifecycle expiry on their own timers.
// The clock the sweeps measure ages with is set ahead; their timers are real and short.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InProcessBus } from '@s3o/bus';
import { startCleanupService, type CleanupService } from '../src/index.js';
import { DAY, claimWrite, landBytes, startWorld, writeObject, type World } from './fixture.js';

/** Polls `probe` until it returns a value (not null/undefined/false). */
async function eventually<T>(probe: () => Promise<T | null | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the cleanup service', () => {
  let world: World;
  let bus: InProcessBus;
  let service: CleanupService;
  before(async () => {
    world = await startWorld({
      backends: ['b1'],
      config: {
        write_path: { pending_pattern: { reaper_tick: '100ms', min_age: '5m', heartbeat: '30s' } },
        cleanup_queue: { tick: '1h' }, // only the bus wakes the worker in this test
        lifecycle: { interval: '100ms', rules: [{ prefix: 'tmp/', expiration_days: 1 }] },
      },
    });
  });
  after(async () => {
    await service?.stop();
    await bus?.stop();
    await world.close();
  });

  test('every part runs on its own: reaper, bus-woken worker, lifecycle, stale uploads', async () => {
    const stale = await claimWrite(world, 'photos', 'crashed.txt', 5, 'b1');
    await landBytes(world, stale, Buffer.from('hello'));
    const expiring = await writeObject(world, 'photos', 'tmp/old.txt', Buffer.from('old'));
    await world.ledger.createUpload({
      uploadId: 'UP-OLD', objectKey: 'photos/big.bin', backendName: 'b1', backendUploadId: 'no-such-backend-upload',
      storageKey: 'photos/big.bin!UP-OLD', identity: { contentType: 'application/octet-stream', userMetadata: {}, headers: {} },
    });
    world.clock.now += 2 * DAY;

    bus = new InProcessBus({ ledger: world.ledger, logger: world.deps.logger, maxDeliver: 3, pollIntervalMs: 60_000 });
    service = startCleanupService({ ...world.deps, bus });
    bus.start();
    assert.ok(service.lifecycle, 'a lifecycle sweep runs when rules are configured');

    const promoted = await eventually(() => world.ledger.getObject('photos/crashed.txt'), 'the stale write is promoted');
    assert.equal(promoted.object.writeId, stale.intentId);
    await eventually(async () => (await world.ledger.getObject('photos/tmp/old.txt')) === null, 'the old object expires');
    await eventually(async () => (await world.ledger.getUpload('UP-OLD')) === null, 'the stale upload is aborted');
    // Expiry and abort owed bytes; `cleanup.enqueued` reached the worker through the bus. The
    // expired object's debt is paid; s3rver cannot abort uploads (405), so the upload's debt is
    // dead-lettered at once for an operator (services/cleanup/src/queue-worker.ts).
    await eventually(async () => (await world.ledger.cleanupDepth()) === 0 && (await world.ledger.deadLetterDepth()) === 1, 'the debts are settled');
    const [dead] = await world.ledger.listDeadLetters(null, 10);
    assert.deepEqual([dead?.kind, dead?.storageKey], ['multipart_upload', 'photos/big.bin!UP-OLD']);
    assert.equal(await world.client('b1').headObject(expiring.copies[0]!.storageKey), null);
  });
});

describe('the cleanup service reconfigured by a reload', () => {
  let world: World;
  let bus: InProcessBus;
  let service: CleanupService;
  before(async () => {
    world = await startWorld({ backends: ['b1'], config: { cleanup_queue: { tick: '1h' } } });
  });
  after(async () => {
    await service?.stop();
    await bus?.stop();
    await world.close();
  });

  test('a lifecycle rule added by a reload expires objects; removing the last rule stops the job', async () => {
    await writeObject(world, 'photos', 'tmp/old.txt', Buffer.from('old'));
    await writeObject(world, 'photos', 'keep/old.txt', Buffer.from('kept'));
    world.clock.now += 2 * DAY;
    bus = new InProcessBus({ ledger: world.ledger, logger: world.deps.logger, maxDeliver: 3, pollIntervalMs: 60_000 });
    service = startCleanupService({ ...world.deps, bus });
    bus.start();
    assert.equal(service.lifecycle, null, 'no lifecycle job without rules');

    const rule = { bucket: null, prefix: 'tmp/', tags: {}, expirationDays: 1 };
    service.reconfigure({ ...world.config, lifecycle: { rules: [rule], intervalMs: 100, batchSize: 1000 } });
    const job = service.lifecycle;
    assert.ok(job, 'the rule starts the job');
    await eventually(async () => (await world.ledger.getObject('photos/tmp/old.txt')) === null, 'the old object expires');
    assert.ok(await world.ledger.getObject('photos/keep/old.txt'), 'an object the rule does not select stays');

    service.reconfigure({ ...world.config, lifecycle: { rules: [], intervalMs: 100, batchSize: 1000 } });
    assert.equal(service.lifecycle, null);
    // The retired job finishes its pass and leaves; it runs no more.
    await eventually(async () => !job.record().running && job.record().nextTickAt === null, 'the retired job has stopped');
    assert.deepEqual(await job.trigger(), { status: 'skipped', reason: 'stopped' }, 'a retired job runs no more');
  });
});
