// `npm run fuzz -- <target|all> [--seconds N] [--seed N]`, `npm run fuzz -- --list`:
// coverage-guided fuzzing of the parsers of client input (engine.ts, targets.ts). The corpus
// of each target lives in fuzz/corpus/<target>/ (committed: every input that reached new
// code, so a run starts where the last one stopped); findings are written to
// fuzz/findings/<target>/ (not committed: each becomes a regression test instead).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzz } from './engine.js';
import { TARGETS } from './targets.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i === -1) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} needs a number`);
  return value;
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--list') || args.length === 0) {
    for (const t of TARGETS) console.log(`${t.name.padEnd(14)} ${t.describe}`);
    console.log('\nnpm run fuzz -- <target|all> [--seconds N] [--seed N]');
    return args.length === 0 ? 1 : 0;
  }
  const name = args[0]!;
  const chosen = name === 'all' ? TARGETS : TARGETS.filter((t) => t.name === name);
  if (chosen.length === 0) {
    console.error(`no fuzz target "${name}"; --list shows them`);
    return 1;
  }
  const seconds = option(args, '--seconds', 60);
  const seed = option(args, '--seed', Date.now() % 2 ** 31);
  let findings = 0;
  for (const target of chosen) {
    console.log(`fuzzing ${target.name} for ${seconds} s (seed ${seed})`);
    const result = await fuzz(target, {
      seconds, seed,
      corpusDir: join(ROOT, 'corpus', target.name),
      findingsDir: join(ROOT, 'findings', target.name),
      maxInputBytes: 4096,
      slowInputMs: 1000,
      log: (line) => console.log(line),
    });
    findings += result.findings.length;
    console.log(`${target.name}: ${result.executions} runs, corpus ${result.corpusSize} (+${result.newCorpusEntries} new), ${result.features} coverage features, ${result.findings.length} findings`);
    for (const f of result.findings) console.log(`  ${f}`);
  }
  return findings > 0 ? 2 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
