// The verdict of a chaos run, taken after every fault has healed and the load has stopped:
//  1. settle: within `settleMs` the system reaches, all at once — `admin verify` ok on every
//     backend (nothing leaked, nothing missing, every backend listed), no debt waiting in
//     the cleanup queue, no open intent, no open multipart upload, every object at the
//     replication factor;
//  2. every key reads back as the model says it may (deleted → 404), bytes compared by MD5;
//  3. no read during the load returned what its key could not hold;
//  4. every backend process and every service process is alive;
//  5. dead letters: only the ones s3rver makes inevitable (it cannot abort a multipart
//     upload, docs/architecture.md §11) are tolerated, and reported.
import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3rverProcess } from '@s3o/demo-backends';
import { adminCall } from '../admin-calls.js';
import type { E2ESystem } from '../harness.js';
import { openSystemLedger } from '../ledger-access.js';
import { KeyModel, valueMd5, valueName } from './model.js';

/** Objects below the factor (or with a copy not ok), over every page of the sweep's query. */
async function countUnderReplicated(ledger: Awaited<ReturnType<typeof openSystemLedger>>): Promise<number> {
  let under = 0;
  for (let after: string | null = null; ;) {
    const page = await ledger.listUnderReplicated({ after, limit: 1000, factor: FACTOR, uncounted: [] });
    under += page.candidates.length;
    if (page.next === null) return under;
    after = page.next;
  }
}

export interface Verdict {
  ok: boolean;
  /** what went wrong; empty when ok */
  failures: string[];
  settledInMs: number | null;
  keysChecked: number;
  keysPresent: number;
  /** keys whose read-back differs from every state the model allows: data lost */
  lost: number;
  leakedObjects: number;
  leakedBytes: number;
  missingCopies: number;
  debts: number;
  openIntents: number;
  openUploads: number;
  underReplicated: number;
  deadLetters: { total: number; cannotAbort: number };
}

interface BackendReport {
  backend: string; ok: boolean; error: string | null; debts: number; dead_letters: number; open_intents: number; open_uploads: number;
  leaked: { count: number; bytes: number; keys: Array<{ storage_key: string }> }; missing: { count: number; keys: Array<{ storage_key: string }> };
}

export interface JudgeInput {
  sys: E2ESystem;
  model: KeyModel;
  violations: string[];
  settleMs: number;
  processes: S3rverProcess[];
  problems: string[];
  /** what was done to a key during the load, for a failure message */
  historyOf(key: string): string;
}

const FACTOR = 2;

export async function judge(input: JudgeInput): Promise<Verdict> {
  const { sys, model } = input;
  const failures: string[] = [...input.problems, ...input.violations.map((v) => `read during the load: ${v}`)];
  const ledger = await openSystemLedger(sys);
  let reports: BackendReport[] = [];
  let under = 0;
  const started = Date.now();
  let settledInMs: number | null = null;
  try {
    // Condition-based: look until everything holds at once, or the settle period is over.
    for (;;) {
      const reply = await adminCall(sys.url, 'GET', 'verify').catch((err: Error) => ({ status: 0, body: err.message }));
      reports = reply.status === 200 ? (reply.body.backends as BackendReport[]) : [];
      under = await countUnderReplicated(ledger);
      const settled = reports.length > 0 && reports.every((b) => b.ok && b.error === null && b.debts === 0 && b.open_intents === 0 && b.open_uploads === 0) && under === 0;
      if (settled) {
        settledInMs = Date.now() - started;
        break;
      }
      if (Date.now() - started > input.settleMs) {
        failures.push(`not settled after ${input.settleMs} ms: ${JSON.stringify(reports.map((b) => ({
          backend: b.backend, error: b.error, debts: b.debts, intents: b.open_intents, uploads: b.open_uploads,
          leaked: b.leaked.keys.map((k) => k.storage_key), missing: b.missing.keys.map((k) => k.storage_key),
        })))}; ${under} objects under the factor`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    await ledger.close();
  }

  const dead = await adminCall(sys.url, 'GET', 'cleanup-dlq', { query: { limit: '1000' } });
  const deadItems = (dead.body?.items ?? []) as Array<{ kind: string; last_error: string | null; storage_key: string }>;
  const cannotAbort = deadItems.filter((d) => d.kind === 'multipart_upload' && /cannot abort/.test(d.last_error ?? ''));
  const otherDead = deadItems.filter((d) => !cannotAbort.includes(d));
  if (otherDead.length > 0) failures.push(`dead letters: ${JSON.stringify(otherDead)}`);

  // Every key read back through the gateway, with retries of its own (the faults are over).
  const client = sys.client(undefined, { maxAttempts: 3 });
  let lost = 0;
  let present = 0;
  const keys = model.keys();
  for (const key of keys) {
    const possible = model.possible(key);
    let seen: { size: number; md5: string } | null;
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: sys.bucket.name, Key: key }));
      const md5 = createHash('md5');
      let size = 0;
      for await (const c of got.Body as AsyncIterable<Uint8Array>) {
        md5.update(c);
        size += c.length;
      }
      seen = { size, md5: md5.digest('hex') };
      present++;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) {
        failures.push(`reading ${key} back failed: ${(err as Error).name}: ${(err as Error).message}`);
        lost++;
        continue;
      }
      seen = null;
    }
    let fits = false;
    for (const state of possible) {
      if (state === null ? seen === null : seen !== null && state.size === seen.size && (await valueMd5(state)) === seen.md5) fits = true;
    }
    if (!fits) {
      lost++;
      failures.push(`${key} reads back as ${seen ? `${seen.size} bytes md5 ${seen.md5}` : '404'}; acknowledged: ${possible.map(valueName).join(' | ')}; history: ${input.historyOf(key)}`);
    }
  }

  for (const [i, p] of input.processes.entries()) {
    if (!alive(p.pid)) failures.push(`backend b${i + 1} (pid ${p.pid}) is not running`);
  }
  for (const s of sys.distributed?.processes ?? []) {
    if (!s.running) failures.push(`${s.name} is not running`);
  }

  const sum = (f: (b: BackendReport) => number) => reports.reduce((n, b) => n + f(b), 0);
  const verdict: Verdict = {
    ok: false, failures, settledInMs, keysChecked: keys.length, keysPresent: present, lost,
    leakedObjects: sum((b) => b.leaked.count), leakedBytes: sum((b) => b.leaked.bytes), missingCopies: sum((b) => b.missing.count),
    debts: sum((b) => b.debts), openIntents: sum((b) => b.open_intents), openUploads: sum((b) => b.open_uploads), underReplicated: under,
    deadLetters: { total: deadItems.length, cannotAbort: cannotAbort.length },
  };
  verdict.ok = failures.length === 0 && verdict.leakedObjects === 0 && verdict.missingCopies === 0 && lost === 0;
  return verdict;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
