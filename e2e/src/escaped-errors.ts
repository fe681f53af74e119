// In single mode the orchestrator runs inside the test process, so an error it lets escape
// (an 'error' event nobody listens to, a promise nobody awaits) surfaces here. In
// production such an error crashes the gateway; the test runner would only pin it on
// whichever test happened to be running. These helpers name the system instead, and make
// it a counted failure. (In distributed mode the services are child processes: the harness
// adds what their output shows, see distributed/service-process.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';

export interface EscapedErrorWatch {
  seen(): string[];
  stop(): void;
}

export function watchEscapedErrors(): EscapedErrorWatch {
  const seen: string[] = [];
  const onException = (err: unknown) => seen.push(`uncaught exception: ${describeError(err)}`);
  const onRejection = (reason: unknown) => seen.push(`unhandled rejection: ${describeError(reason)}`);
  // The monitor event observes without changing what the runner does with the exception.
  process.on('uncaughtExceptionMonitor', onException);
  process.on('unhandledRejection', onRejection);
  return {
    seen: () => [...seen],
    stop() {
      process.off('uncaughtExceptionMonitor', onException);
      process.off('unhandledRejection', onRejection);
    },
  };
}

/**
 * Registers a test that fails when the system let an error escape. Call it last in a
 * suite, so it runs after every other test of the file.
 */
export function testNothingEscaped(system: () => { escapedErrors(): string[] }): void {
  test('no error escaped from the running system', () => {
    assert.deepEqual(system().escapedErrors(), [], 'errors escaped from the running system (each would crash a production process)');
  });
}

function describeError(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}
