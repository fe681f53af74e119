// The Ledger contract, monitoring part: the counts the /metrics gauges are read from.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../src/index.js';
import { claimWrite, put, type WithLedger } from './contract-helpers.js';

export function describeStatsContract(withLedger: WithLedger): void {
  describe('stats', () => {
    test('copies per backend count the live copies of each backend that holds any', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }, { name: 'c', quotaBytes: 0 }]);
        assert.deepEqual(await ledger.copiesByBackend(), []);
        await put(ledger, 'bk/1', 10, ['a']);
        await put(ledger, 'bk/2', 10, ['a']);
        await put(ledger, 'bk/3', 10, ['b']);
        // An overwrite replaces its key's copy (the old one becomes a debt): still one copy.
        await put(ledger, 'bk/2', 20, ['b']);
        assert.deepEqual(await ledger.copiesByBackend(), [
          { backendName: 'a', copies: 1 },
          { backendName: 'b', copies: 2 },
        ]);
      }));

    test('operator figures: objects, copies under and over the factor, open intents and uploads', () =>
      withLedger(async (ledger) => {
        await ledger.syncBackends([{ name: 'a', quotaBytes: 0 }, { name: 'b', quotaBytes: 0 }]);
        assert.deepEqual(await ledger.operatorFigures(2), { objects: 0, underReplicated: 0, overReplicated: 0, openIntents: 0, openUploads: 0 });
        await put(ledger, 'op/1', 10, ['a']);
        await put(ledger, 'op/2', 10, ['b']);
        await claimWrite(ledger, 'op/3', 5, ['a']);
        await ledger.createUpload({
          uploadId: 'up-1', objectKey: 'op/4', backendName: 'b', backendUploadId: 'x', storageKey: 'op/4!up-1',
          identity: { contentType: 'application/octet-stream', userMetadata: {}, headers: {} },
        });
        assert.deepEqual(await ledger.operatorFigures(2), { objects: 2, underReplicated: 2, overReplicated: 0, openIntents: 1, openUploads: 1 });
        assert.equal((await ledger.operatorFigures(1)).underReplicated, 0, 'one copy each is enough with factor 1');
        // op/5 gets a second copy: a replica on b, committed for its write.
        const op5 = await put(ledger, 'op/5', 10, ['a']);
        const replicaId = newId();
        const replica = await ledger.claim({ intentId: replicaId, kind: 'replica', objectKey: 'op/5', storageKey: `op/5!${replicaId}`, sizeBytes: 10, candidates: ['b'], identity: null });
        assert.ok(replica);
        const replicated = await ledger.commitReplica({ intentId: replicaId, writeId: op5.object.writeId, events: () => [] });
        assert.equal(replicated.outcome, 'replicated');
        assert.deepEqual(await ledger.operatorFigures(1), { objects: 3, underReplicated: 0, overReplicated: 1, openIntents: 1, openUploads: 1 });
        assert.deepEqual(await ledger.operatorFigures(2), { objects: 3, underReplicated: 2, overReplicated: 0, openIntents: 1, openUploads: 1 });
        // A missing copy does not count: op/5 has one ok copy left, exactly factor 1.
        assert.ok(await ledger.markCopyMissing('op/5', 'b', `op/5!${replicaId}`));
        assert.deepEqual(await ledger.operatorFigures(1), { objects: 3, underReplicated: 0, overReplicated: 0, openIntents: 1, openUploads: 1 });
      }));

    test('heartbeats: a process is listed while it beats, updated in place, and forgotten when silent', () =>
      withLedger(async (ledger, clock) => {
        const beat = { processId: 'gateway@h:1:100', service: 'gateway', host: 'h', pid: 1, version: '1.0.0', startedAt: 100, workers: [{ name: 'reaper' }] };
        await ledger.recordHeartbeat(beat, 60_000);
        await ledger.recordHeartbeat({ ...beat, processId: 'cleanup@h:2:100', service: 'cleanup', pid: 2, workers: [] }, 60_000);
        clock.now += 1_000;
        await ledger.recordHeartbeat({ ...beat, workers: [{ name: 'reaper', runs: 2 }] }, 60_000);
        const listed = await ledger.listHeartbeats(clock.now - 10_000);
        assert.deepEqual(listed.map((h) => [h.service, h.pid]), [['cleanup', 2], ['gateway', 1]]);
        assert.deepEqual(listed.find((h) => h.service === 'gateway')!.workers, [{ name: 'reaper', runs: 2 }]);
        assert.equal(listed.find((h) => h.service === 'gateway')!.seenAt, clock.now);
        // Any process's next beat forgets the ones silent for longer than the limit.
        clock.now += 120_000;
        await ledger.recordHeartbeat(beat, 60_000);
        assert.deepEqual((await ledger.listHeartbeats(0)).map((h) => h.service), ['gateway']);
      }));

    test('job runs: requested, claimed by a process running the worker (oldest first, once), finished; withdrawn only while unclaimed', () =>
      withLedger(async (ledger, clock) => {
        await ledger.requestJobRun({ id: 'r1', job: 'replicate', worker: 'replication-sweep' });
        clock.now += 1;
        await ledger.requestJobRun({ id: 'r2', job: 'rebalance', worker: 'rebalance' });
        clock.now += 1;
        await ledger.requestJobRun({ id: 'r3', job: 'over-replication', worker: 'replication-sweep' });
        assert.equal((await ledger.getJobRun('r1'))!.state, 'requested');
        assert.equal(await ledger.claimJobRun(['reaper'], 'cleanup@h:1:1'), null, 'a process claims only the workers it runs');
        const first = await ledger.claimJobRun(['replication-sweep', 'rebalance'], 'placement@h:2:1');
        assert.deepEqual([first!.id, first!.state, first!.claimedBy, first!.startedAt], ['r1', 'running', 'placement@h:2:1', clock.now]);
        const [a, b] = await Promise.all([
          ledger.claimJobRun(['replication-sweep'], 'placement@h:2:1'),
          ledger.claimJobRun(['replication-sweep'], 'placement@h:3:1'),
        ]);
        assert.deepEqual([a?.id, b?.id].filter(Boolean), ['r3'], 'two claims at once take the run once');
        await ledger.finishJobRun('r1', { status: 'ok', counts: { copied: 3 } });
        const finished = await ledger.getJobRun('r1');
        assert.deepEqual([finished!.state, finished!.outcome], ['finished', { status: 'ok', counts: { copied: 3 } }]);
        assert.equal(await ledger.withdrawJobRun('r3'), false, 'a claimed run is not withdrawn');
        assert.equal(await ledger.withdrawJobRun('r2'), true);
        assert.equal((await ledger.getJobRun('r2'))!.state, 'unclaimed');
        assert.equal(await ledger.claimJobRun(['rebalance'], 'placement@h:2:1'), null);
        // A day later the next request forgets the finished and withdrawn runs.
        clock.now += 25 * 60 * 60_000;
        await ledger.requestJobRun({ id: 'r4', job: 'replicate', worker: 'replication-sweep' });
        assert.equal(await ledger.getJobRun('r1'), null);
        assert.equal(await ledger.getJobRun('r2'), null);
        assert.equal((await ledger.getJobRun('r3'))!.state, 'running');
        assert.equal((await ledger.getJobRun('r3'))!.params, null);
        // A run asked with parameters (admin scrub --key/--backend) hands them to its claimer.
        await ledger.requestJobRun({ id: 'r5', job: 'scrub', worker: 'integrity-scrub', params: { key: 'bk/a b', backend: 'b1' } });
        const scoped = await ledger.claimJobRun(['integrity-scrub'], 'placement@h:2:1');
        assert.deepEqual([scoped?.id, scoped?.params], ['r5', { key: 'bk/a b', backend: 'b1' }]);
      }));
  });
}
