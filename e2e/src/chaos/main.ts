// `npm run chaos [-- options]`: one chaos run, its report as text (and as JSON with --json),
// exit code 0 only when the verdict is ok. A run that fails prints how to replay it.
//
//   --profile ci|default|soak   (default: default — 2 minutes of load, 10 faults)
//   --mode single|distributed   (default: single)
//   --seed N                    (default: drawn from the clock, and printed)
//   --duration SECONDS          load duration
//   --clients N  --keys N  --faults N  --max-size BYTES  --settle SECONDS
//   --faults-only KIND,KIND     fault kinds to draw from (faults.ts)
//   --kernel-faults             also draw kernel-bandwidth and kernel-partition (tc tbf and
//                               iptables DROP in network namespaces of the run; need root,
//                               skipped with a message otherwise)
//   --json FILE                 write the whole report there
import { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Server, Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { BACKEND_FAULTS, DISTRIBUTED_FAULTS, KERNEL_FAULTS, type FaultKind } from './faults.js';
import { profile, replayText, runChaos, type ChaosOptions, type ProfileName } from './run.js';
import { formatReport } from './report.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'default' },
    mode: { type: 'string', default: 'single' },
    seed: { type: 'string' },
    duration: { type: 'string' },
    clients: { type: 'string' },
    keys: { type: 'string' },
    faults: { type: 'string' },
    'max-size': { type: 'string' },
    settle: { type: 'string' },
    'faults-only': { type: 'string' },
    'kernel-faults': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const mode = values.mode;
if (mode !== 'single' && mode !== 'distributed') throw new Error(`--mode must be single or distributed, got ${mode}`);
if (!['ci', 'default', 'soak'].includes(values.profile!)) throw new Error(`--profile must be ci, default or soak, got ${values.profile}`);
const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${v}`);
  return n;
};
const base = profile(values.profile as ProfileName, mode);
const kinds = values['faults-only']?.split(',') as FaultKind[] | undefined;
for (const k of kinds ?? []) {
  if (![...BACKEND_FAULTS, ...KERNEL_FAULTS, ...DISTRIBUTED_FAULTS].includes(k)) throw new Error(`--faults-only: unknown fault kind ${k}`);
}
const options: ChaosOptions = {
  ...base,
  seed: num(values.seed, 'seed') ?? Date.now() % 2 ** 31,
  ...(values.duration ? { loadMs: num(values.duration, 'duration')! * 1000 } : {}),
  ...(values.clients ? { clients: num(values.clients, 'clients')! } : {}),
  ...(values.keys ? { keysPerClient: num(values.keys, 'keys')! } : {}),
  ...(values.faults ? { faults: num(values.faults, 'faults')! } : {}),
  ...(values['max-size'] ? { maxPutBytes: num(values['max-size'], 'max-size')! } : {}),
  ...(values.settle ? { settleMs: num(values.settle, 'settle')! * 1000 } : {}),
  ...(kinds ? { kinds } : {}),
};
if (values['kernel-faults']) options.kinds = [...options.kinds.filter((k) => !KERNEL_FAULTS.includes(k)), ...KERNEL_FAULTS];

const report = await runChaos(options, (line) => console.log(line));
console.log(formatReport(report));
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
if (!report.ok) {
  console.log(`\nCHAOS RUN FAILED\n${replayText(report)}`);
  process.exitCode = 1;
}
// The run has stopped everything it started (runChaos's finally) and the report is written:
// this one-shot command ends here. A passing run has been seen to leave the process busy and
// alive after that (cause not found yet, docs/reliability.md "Findings"); what is still
// registered is printed so a later run can tell what it is, and the exit does not wait on it.
// Handles closed a moment ago (the fault proxies' servers and sockets) stay listed until the
// loop's close phase has run: let it run, so what is listed is what really stays.
await new Promise((resolve) => setTimeout(resolve, 200));
const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
if (left.length > 0) console.error(`chaos: still registered at exit: ${left.join(', ')}${describeHandles()}`);
process.exit(process.exitCode ?? 0);

/** What the live handles are, as far as they tell (a server's address, a socket's ends, a child's command). */
function describeHandles(): string {
  const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  const described = handles.map((h) => {
    if (h instanceof Server) return `server ${JSON.stringify(h.address())}`;
    if (h instanceof Socket) return h.remotePort ? `socket ${h.localAddress}:${h.localPort}→${h.remoteAddress}:${h.remotePort}` : null;
    if (h instanceof ChildProcess) return `child ${h.pid} ${h.spawnargs.slice(0, 3).join(' ')}`;
    return null;
  }).filter((d): d is string => d !== null);
  return described.length > 0 ? `\n  ${described.join('\n  ')}` : '';
}
