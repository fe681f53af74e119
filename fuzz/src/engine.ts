// A small coverage-guided mutational fuzzer on V8's own block coverage (no native addon):
// node:inspector's Profiler.takePreciseCoverage with call counts and block granularity
// tells, after each input, which blocks of the code under test ran and how often. An input
// that reaches a block (or a count bucket of a block) never seen before joins the corpus
// and is mutated further; anything the target throws that is not an expected refusal is a
// finding, and so is an input that takes too long.
import { createHash } from 'node:crypto';
import { Session } from 'node:inspector';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FuzzTarget {
  name: string;
  /** What the target exercises, for `npm run fuzz -- --list`. */
  describe: string;
  /** Substrings of script URLs whose coverage counts (the code under test). */
  coverage: string[];
  /** Tokens the mutator splices in (tags, separators, keywords of the format). */
  dictionary: string[];
  /** Seeds used when the corpus directory is empty. */
  seeds: Array<string | Buffer>;
  /** Runs one input; throws only for a finding (expected refusals are caught inside). */
  run(data: Buffer): void | Promise<void>;
}

export interface FuzzOptions {
  seconds: number;
  corpusDir: string;
  findingsDir: string;
  seed: number;
  maxInputBytes: number;
  /** an input slower than this is a finding */
  slowInputMs: number;
  log: (line: string) => void;
}

export interface FuzzResult {
  executions: number;
  corpusSize: number;
  newCorpusEntries: number;
  features: number;
  findings: string[];
}

interface CoverageRange { startOffset: number; endOffset: number; count: number }
interface CoverageFunction { ranges: CoverageRange[] }
interface CoverageScript { url: string; functions: CoverageFunction[] }

/** Deterministic PRNG (mulberry32), so a run is replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Hit counts are bucketed (1, 2, 3, 4-7, 8-15, …): a loop running more often is new behaviour too. */
function bucket(count: number): number {
  return count <= 3 ? count : 32 - Math.clz32(count);
}

class Coverage {
  private readonly session = new Session();

  constructor(private readonly filters: string[]) {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  /** Features since the last call (the counters reset with each take). */
  take(): Set<string> {
    const result = this.post('Profiler.takePreciseCoverage') as { result: CoverageScript[] };
    const features = new Set<string>();
    for (const script of result.result) {
      if (!this.filters.some((f) => script.url.includes(f))) continue;
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count > 0) features.add(`${script.url}:${range.startOffset}:${range.endOffset}:${bucket(range.count)}`);
        }
      }
    }
    return features;
  }

  close(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.session.disconnect();
  }

  private post(method: string, params?: object): unknown {
    let out: unknown;
    let failure: Error | null = null;
    // The inspector answers a session of the same thread synchronously.
    this.session.post(method, params ?? {}, (err, result) => {
      failure = err;
      out = result;
    });
    if (failure) throw failure;
    return out;
  }
}

function mutate(input: Buffer, corpus: Buffer[], dictionary: Buffer[], random: () => number, maxBytes: number): Buffer {
  let data = Buffer.from(input);
  const rounds = 1 + Math.floor(random() * 4);
  const at = (n: number) => Math.floor(random() * (n + 1));
  for (let r = 0; r < rounds; r++) {
    switch (Math.floor(random() * 9)) {
      case 0: // flip a bit
        if (data.length > 0) {
          const i = at(data.length - 1);
          data[i] = data[i]! ^ (1 << Math.floor(random() * 8));
        }
        break;
      case 1: // a random byte
        if (data.length > 0) data[at(data.length - 1)] = Math.floor(random() * 256);
        break;
      case 2: { // insert random bytes
        const i = at(data.length);
        data = Buffer.concat([data.subarray(0, i), Buffer.from(Array.from({ length: 1 + at(7) }, () => Math.floor(random() * 256))), data.subarray(i)]);
        break;
      }
      case 3: { // delete a span
        const i = at(data.length);
        data = Buffer.concat([data.subarray(0, i), data.subarray(Math.min(data.length, i + 1 + at(15)))]);
        break;
      }
      case 4: case 5: { // insert a dictionary token
        const token = dictionary[Math.floor(random() * dictionary.length)];
        if (token) {
          const i = at(data.length);
          data = Buffer.concat([data.subarray(0, i), token, data.subarray(i)]);
        }
        break;
      }
      case 6: { // duplicate a span (repetition finds loops and limits)
        if (data.length > 0) {
          const i = at(data.length - 1);
          const span = data.subarray(i, Math.min(data.length, i + 1 + at(63)));
          const times = 1 + at(15);
          data = Buffer.concat([data.subarray(0, i), ...Array.from({ length: times }, () => span), data.subarray(i)]);
        }
        break;
      }
      case 7: { // splice with another corpus entry
        const other = corpus[Math.floor(random() * corpus.length)];
        if (other && other.length > 0) {
          const i = at(data.length);
          const j = at(other.length);
          data = Buffer.concat([data.subarray(0, i), other.subarray(j)]);
        }
        break;
      }
      case 8: { // change a number written in ASCII
        const text = data.toString('latin1');
        const numbers = [...text.matchAll(/\d+/g)];
        const m = numbers[Math.floor(random() * numbers.length)];
        if (m?.index !== undefined) {
          const choices = ['0', '1', '-1', '4294967295', '18446744073709551616', '10001', '8191', '8192', String(Math.floor(random() * 1e6))];
          const replacement = choices[Math.floor(random() * choices.length)]!;
          data = Buffer.from(text.slice(0, m.index) + replacement + text.slice(m.index + m[0].length), 'latin1');
        }
        break;
      }
    }
  }
  return data.length > maxBytes ? data.subarray(0, maxBytes) : data;
}

const sha1 = (data: Buffer) => createHash('sha1').update(data).digest('hex');

function readCorpus(dir: string): Buffer[] {
  mkdirSync(dir, { recursive: true });
  return readdirSync(dir).filter((f) => !f.startsWith('.')).sort().map((f) => readFileSync(join(dir, f)));
}

export async function fuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzResult> {
  const random = prng(options.seed);
  const coverage = new Coverage(target.coverage);
  const dictionary = target.dictionary.map((t) => Buffer.from(t, 'latin1'));
  const corpus = readCorpus(options.corpusDir);
  if (corpus.length === 0) corpus.push(...target.seeds.map((s) => Buffer.from(s)));
  const seen = new Set<string>();
  const findings: string[] = [];
  let executions = 0;
  let added = 0;

  const runOne = async (data: Buffer): Promise<{ fresh: boolean }> => {
    executions++;
    const started = performance.now();
    let failure: unknown = null;
    try {
      await target.run(data);
    } catch (err) {
      failure = err;
    }
    const ms = performance.now() - started;
    if (failure === null && ms > options.slowInputMs) failure = new Error(`slow input: ${ms.toFixed(0)} ms for ${data.length} bytes`);
    if (failure !== null) {
      mkdirSync(options.findingsDir, { recursive: true });
      const file = join(options.findingsDir, `finding-${sha1(data)}`);
      writeFileSync(file, data);
      const message = failure instanceof Error ? failure.stack ?? failure.message : String(failure);
      findings.push(`${file}: ${message.split('\n').slice(0, 4).join(' | ')}`);
      options.log(`FINDING ${file}\n  ${message.split('\n').slice(0, 6).join('\n  ')}`);
    }
    let fresh = false;
    for (const feature of coverage.take()) {
      if (!seen.has(feature)) {
        seen.add(feature);
        fresh = true;
      }
    }
    return { fresh };
  };

  coverage.take(); // drop whatever ran before the first input
  for (const input of corpus) await runOne(input);
  const deadline = Date.now() + options.seconds * 1000;
  let lastReport = Date.now();
  while (Date.now() < deadline && findings.length < 20) {
    const parent = corpus[Math.floor(random() * corpus.length)]!;
    const child = mutate(parent, corpus, dictionary, random, options.maxInputBytes);
    if ((await runOne(child)).fresh) {
      corpus.push(child);
      added++;
      writeFileSync(join(options.corpusDir, sha1(child)), child);
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      options.log(`${target.name}: ${executions} runs, corpus ${corpus.length} (+${added}), ${seen.size} features, ${findings.length} findings`);
    }
  }
  coverage.close();
  return { executions, corpusSize: corpus.length, newCorpusEntries: added, features: seen.size, findings };
}
