// Runs `s3-orchestrator admin verify --json` as an operator would: the compiled CLI, a child process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { VerifyReportView } from '../../src/admin/verify-summary.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface VerifyRun {
  code: number | null;
  report: VerifyReportView | null;
  stdout: string;
  stderr: string;
}

export function adminVerify(configPath: string, url: string): Promise<VerifyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'admin', 'verify', '--config', configPath, '--url', url, '--json'], {
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      let report: VerifyReportView | null = null;
      try {
        report = JSON.parse(stdout) as VerifyReportView;
      } catch {
        // not a report (e.g. the gateway was unreachable); the caller sees stderr
      }
      resolve({ code, report, stdout, stderr });
    });
  });
}
