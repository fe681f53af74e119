// The chaos suite's fault injector (e2e/src/chaos/faults.ts) applies a fault to a target
// only once the previous fault on that target has healed. The schedule spaces faults on one
// target by their durations, but a heal is a restart, and on a loaded machine a restart takes
// seconds: a distributed run (seed 31) SIGKILLed placement-1 a second time while the restart
// after its first SIGKILL was still starting up, so that restart failed and the run with it.
// The same race would send a backend's SIGSTOP to its dead process while its restart is under
// way, and the freeze would never happen. Real processes: an s3rver backend, and a child
// process standing in for a service that takes 800 ms to come up.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { portOutsideEphemeralRange, startS3rver } from '@s3o/demo-backends';
import { FaultInjector, type FaultEvent, type InjectorTargets } from '../src/chaos/faults.js';
import type { ServiceProcess } from '../src/distributed/service-process.js';
import { BACKEND_BUCKET, type RunningBackend } from '../src/harness.js';

const STARTUP_MS = 800;

/** A real child process that, like a service, is ready only a while after it was spawned. */
class SlowService {
  readonly name = 'placement-1';
  private child: ChildProcess | null = null;
  starts = 0;

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.starts++;
    const child = spawn(process.execPath, ['-e', `setTimeout(() => console.log('ready'), ${STARTUP_MS}); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', () => reject(new Error(`${this.name} did not start: it ended before it was ready`)));
    });
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

function targets(over: Partial<InjectorTargets>): InjectorTargets {
  return { backends: [], proxies: [], services: [], nats: null, postgres: null, gateways: [], natsProxy: null, links: null, ...over };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('a second SIGKILL of a service waits for the restart after the first', { timeout: 120_000 }, async () => {
  const service = new SlowService();
  await service.start();
  // The second kill is due while the restart after the first is still coming up.
  const schedule: FaultEvent[] = [
    { kind: 'kill-service', at: 0, durationMs: 50, target: service.name },
    { kind: 'kill-service', at: 200, durationMs: 50, target: service.name },
  ];
  const injector = new FaultInjector(targets({ services: [service as unknown as ServiceProcess] }), Date.now());
  try {
    injector.start(schedule);
    await until('both kills healed', () => injector.log.filter((l) => l.includes('healed')).length === 2 || injector.problems.length > 0);
    assert.deepEqual(injector.problems, [], injector.log.join('\n'));
    assert.ok(injector.log.some((l) => /kill-service on placement-1 waited/.test(l)), `the second kill waited:\n${injector.log.join('\n')}`);
    assert.equal(service.starts, 3, 'started once, then restarted after each kill');
    assert.ok(service.running, 'the service runs after both faults');
    assert.equal(injector.windows.length, 2);
    // The second fault began after the first had healed.
    assert.ok(injector.windows[1]![0] >= injector.windows[0]![1], JSON.stringify(injector.windows));
  } finally {
    await injector.healAll();
    await service.kill('SIGKILL');
  }
});

test('healAll lets go of a fault still waiting for its target, and does not apply it', { timeout: 120_000 }, async () => {
  const service = new SlowService();
  await service.start();
  const injector = new FaultInjector(targets({ services: [service as unknown as ServiceProcess] }), Date.now());
  try {
    injector.start([
      { kind: 'kill-service', at: 0, durationMs: 50, target: service.name },
      { kind: 'kill-service', at: 150, durationMs: 5000, target: service.name },
    ]);
    // The load ends while the restart after the first kill is under way and the second waits.
    await until('the first restart under way', () => service.starts === 2);
    await sleep(150);
    await injector.healAll();
    assert.deepEqual(injector.problems, [], injector.log.join('\n'));
    assert.ok(injector.log.some((l) => /kill-service on placement-1 not applied: the load is over/.test(l)), injector.log.join('\n'));
    assert.ok(service.running, 'the service runs after healAll');
    assert.equal(service.starts, 2);
  } finally {
    await service.kill('SIGKILL');
  }
});

test('a freeze due while a backend restarts freezes the restarted process', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 's3o-injector-'));
  const first = await startS3rver({ dir, port: await portOutsideEphemeralRange(), buckets: [BACKEND_BUCKET] });
  const backend = { name: 'b1', endpoint: first.endpoint, bucket: BACKEND_BUCKET, process: first, dir } as unknown as RunningBackend;
  const injector = new FaultInjector(targets({ backends: [backend] }), Date.now());
  try {
    injector.start([
      { kind: 'kill-restart', at: 0, durationMs: 50, target: '0' },
      // Due long before a new s3rver (a node process) can be up.
      { kind: 'freeze-short', at: 100, durationMs: 1500, target: '0' },
    ]);
    let frozen: number | null = null;
    await until('the freeze healed', async () => {
      const current = injector.processes[0]!;
      if (current !== first && frozen === null) {
        const state = await readFile(`/proc/${current.pid}/status`, 'utf8').then((t) => /State:\s+(\S)/.exec(t)?.[1]).catch(() => undefined);
        if (state === 'T') frozen = current.pid;
      }
      return injector.log.filter((l) => l.includes('healed')).length === 2;
    });
    assert.deepEqual(injector.problems, [], injector.log.join('\n'));
    assert.ok(frozen !== null && frozen !== first.pid, `the restarted s3rver was frozen:\n${injector.log.join('\n')}`);
    // And it answers again once continued.
    const res = await fetch(`${injector.processes[0]!.endpoint}/${BACKEND_BUCKET}`);
    await res.arrayBuffer();
    assert.ok(res.status < 500, `the restarted backend answers (${res.status})`);
  } finally {
    await injector.healAll();
    await injector.stopRestarted();
    await first.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
