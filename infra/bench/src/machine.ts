// What a result must be read with: the machine, the runtime and the code it measured.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { REPO_ROOT } from './paths.js';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  os: string;
  /** 1-minute load average when the run started: other work on the machine shows here */
  loadAverageAtStart: number;
}

export interface CommitInfo {
  /** `git rev-parse --short HEAD`, or `unknown` outside a git checkout */
  hash: string;
  /** tracked files differ from the commit */
  dirty: boolean;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg()[0]!,
  };
}

export function currentLoadAverage(): number {
  return os.loadavg()[0]!;
}

export function commitInfo(): CommitInfo {
  const git = (args: string[]): string =>
    execFileSync('git', ['--no-optional-locks', ...args], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const hash = git(['rev-parse', '--short', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    return { hash, dirty };
  } catch {
    return { hash: 'unknown', dirty: false };
  }
}
