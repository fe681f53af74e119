// The root logger's stdout is written in batches (logging.ts): a line still reaches stdout
// while the process runs (within the flush interval) and when it exits at once after logging.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const TELEMETRY = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Runs `body` in a fresh Node process with `createLogger` and `auditLog` imported; resolves with its stdout. */
function runChild(body: string, onStdout?: (text: string, kill: () => void) => void): Promise<string> {
  const script = `import { auditLog, createLogger } from ${JSON.stringify(TELEMETRY)};\n${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      onStdout?.(out, () => child.kill('SIGTERM'));
    });
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

test('an audit line written just before process.exit() reaches stdout', async () => {
  const out = await runChild(`
    const logger = createLogger({ service: 't', level: 'warn' });
    auditLog(logger, 'first', { n: 1 });
    logger.error('second');
    process.exit(0);
  `);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
  assert.deepEqual(lines.map((l) => l.msg), ['first', 'second']);
});

test('a line reaches stdout while the process keeps running (flushed on a timer, not held until exit)', async () => {
  let sawLine = false;
  await runChild(`
    const logger = createLogger({ service: 't', level: 'info' });
    logger.info('while running');
    setInterval(() => {}, 1000); // stays alive until the test kills it
  `, (text, kill) => {
    if (!sawLine && text.includes('while running')) {
      sawLine = true;
      kill();
    }
  });
  assert.ok(sawLine);
});
