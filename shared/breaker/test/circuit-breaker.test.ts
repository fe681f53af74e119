// The circuit breaker's state machine on its own: a manual clock and timers the test fires, so
// every transition and every probe delay is asserted as what the breaker decided, not measured.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CircuitBreaker, ManualTimers, type CircuitBreakerOptions, type CircuitChange } from '../src/index.js';

function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function setup(options: Partial<CircuitBreakerOptions> = {}) {
  const clock = manualClock();
  const timers = new ManualTimers();
  const changes: CircuitChange[] = [];
  let probeAnswer: () => Promise<unknown> = async () => 'ok';
  let probes = 0;
  const breaker = new CircuitBreaker({
    failureThreshold: 3,
    openTimeoutMs: 100,
    probe: () => {
      probes++;
      return probeAnswer();
    },
    clock: clock.now,
    timers,
    ...options,
  });
  breaker.onChange((c) => changes.push(c));
  return {
    breaker, clock, timers, changes,
    get probes() {
      return probes;
    },
    answerProbesWith(fn: () => Promise<unknown>) {
      probeAnswer = fn;
    },
  };
}

/** Lets the probe the timer started settle (its promise chain). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('circuit breaker', () => {
  test('opens after failureThreshold failures in a row; a success in between resets the count', () => {
    const s = setup();
    s.breaker.recordFailure('e1');
    s.breaker.recordFailure('e2');
    s.breaker.recordSuccess();
    s.breaker.recordFailure('e3');
    s.breaker.recordFailure('e4');
    assert.equal(s.breaker.state, 'closed');
    assert.equal(s.breaker.consecutiveFailures, 2);
    assert.equal(s.breaker.admit(), 'pass');
    s.breaker.recordFailure('e5', new Error('cause'));
    assert.equal(s.breaker.state, 'open');
    assert.equal(s.breaker.openedAt, 1_000_000);
    assert.equal(s.breaker.admit(), 'refuse');
    assert.deepEqual(s.changes.map((c) => [c.state, c.reason, c.at]), [['open', '3 consecutive failures, last: e5', 1_000_000]]);
    assert.equal((s.changes[0]!.cause as Error).message, 'cause');
  });

  test('while open, outcomes of calls change nothing but the last failure; only a probe closes it', () => {
    const s = setup({ failureThreshold: 1 });
    s.breaker.recordFailure('down');
    s.breaker.recordSuccess();
    s.breaker.recordFailure('still down');
    assert.equal(s.breaker.state, 'open');
    assert.equal(s.breaker.lastFailure, 'still down');
    assert.equal(s.changes.length, 1, 'no second open');
  });

  test('a call is the probe once one is due: half-open while it runs, one at a time, its answer closes the breaker', async () => {
    const s = setup({ failureThreshold: 1 });
    s.breaker.recordFailure('down');
    s.clock.advance(99);
    assert.equal(s.breaker.admit(), 'refuse');
    s.clock.advance(1);
    assert.equal(s.breaker.admit(), 'probe');
    let answer!: (v: string) => void;
    const probe = s.breaker.probeWith(() => new Promise<string>((resolve) => (answer = resolve)));
    assert.equal(s.breaker.state, 'half-open');
    assert.equal(s.breaker.admit(), 'refuse', 'one probe at a time');
    answer('answered');
    assert.equal(await probe, 'answered');
    assert.equal(s.breaker.state, 'closed');
    assert.equal(s.breaker.nextProbeAt, null);
    assert.deepEqual(s.changes.map((c) => c.state), ['open', 'closed']);
    assert.equal(s.changes[1]!.reason, 'probe succeeded');
    assert.ok(s.timers.scheduled.every((t) => t.cleared || t.fired), 'the background probe was called off');
  });

  test('a failed probe opens it for another openTimeout (no backoff); an error stillFailing calls an answer closes it', async () => {
    const s = setup({ failureThreshold: 1, stillFailing: (err) => (err as Error).message === 'unreachable' });
    s.breaker.recordFailure('down');
    s.clock.advance(100);
    await assert.rejects(s.breaker.probeWith(async () => { throw new Error('unreachable'); }), /unreachable/);
    assert.equal(s.breaker.state, 'open');
    assert.equal(s.breaker.openedAt, 1_000_000, 'a failed probe does not move the opening time');
    assert.equal(s.breaker.nextProbeAt, 1_000_200);
    s.clock.advance(99);
    assert.equal(s.breaker.admit(), 'refuse');
    s.clock.advance(1);
    await assert.rejects(s.breaker.probeWith(async () => { throw new Error('no such row'); }), /no such row/);
    assert.equal(s.breaker.state, 'closed', 'an answer, even an error, closes it');
    assert.deepEqual(s.timers.scheduled.map((t) => t.delayMs), [100, 100]);
  });

  test('with no calls the breaker probes on its own, on the schedule: openTimeout, then doubling up to the cap', async () => {
    const s = setup({ failureThreshold: 2, backoff: { factor: 2, maxDelayMs: 500 } });
    s.answerProbesWith(async () => { throw new Error('still down'); });
    s.breaker.recordFailure('a');
    s.breaker.recordFailure('b');
    // Each probe fires when it is due: the clock moves by the delay the breaker chose, then the timer fires.
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const delay = s.timers.pending[0]!.delayMs;
      delays.push(delay);
      s.clock.advance(delay);
      s.timers.fire();
      await settle();
    }
    assert.deepEqual(delays, [100, 200, 400, 500, 500]);
    assert.equal(s.probes, 5);
    assert.equal(s.breaker.state, 'open');
    assert.equal(s.breaker.nextProbeAt, s.clock.now() + 500);

    // A timer that fires early (the clock says not yet) re-arms for the rest instead of probing.
    s.clock.advance(300);
    s.timers.fire();
    assert.equal(s.probes, 5);
    assert.equal(s.timers.pending[0]!.delayMs, 200);

    s.answerProbesWith(async () => 'back');
    s.clock.advance(200);
    s.timers.fire();
    await settle();
    assert.equal(s.probes, 6);
    assert.equal(s.breaker.state, 'closed');
    assert.deepEqual(s.changes.map((c) => c.state), ['open', 'closed']);
    assert.equal(s.timers.pending.length, 0, 'nothing scheduled while closed');
  });

  test('stop() calls off the probe and schedules no more; listeners that throw change nothing', () => {
    const s = setup({ failureThreshold: 1 });
    s.breaker.onChange(() => {
      throw new Error('listener bug');
    });
    s.breaker.recordFailure('down');
    assert.equal(s.breaker.state, 'open');
    assert.equal(s.timers.pending.length, 1);
    s.breaker.stop();
    assert.equal(s.timers.pending.length, 0);
    s.clock.advance(100);
    assert.equal(s.breaker.admit(), 'probe', 'calls still follow the state machine');
  });

  test('refuses settings it cannot work with', () => {
    const probe = async () => {};
    assert.throws(() => new CircuitBreaker({ failureThreshold: 0, openTimeoutMs: 1, probe }), RangeError);
    assert.throws(() => new CircuitBreaker({ failureThreshold: 1, openTimeoutMs: 0, probe }), RangeError);
    assert.throws(() => new CircuitBreaker({ failureThreshold: 1, openTimeoutMs: 10, probe, backoff: { factor: 2, maxDelayMs: 5 } }), RangeError);
  });
});
