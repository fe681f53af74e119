// Every reference a reader may follow must lead somewhere. In README.md, docs/*.md and the
// other Markdown files, and in the comments of code, SQL, YAML and shell files:
//  * `docs/architecture.md §N` needs a heading `## N.` there; `§N "words"` also needs the
//    words in that section; `docs/architecture.md, "Name"` needs a heading containing Name;
//  * `docs/<file>.md` must exist;
//  * Markdown links to files, and file paths written in backticks, must exist;
//  * a file path in a comment (`shared/store/src/core/`, `write/storage-key.ts`,
//    `tx-work.ts`) must exist — from the repository root, from the commenting file's folder
//    or one above it, or, for a bare file name, somewhere in the repository.
// Globs and placeholders (`*`, `<bucket>`, `NNNN`, `…`) are not paths and are left alone;
// `dist/…js` is checked as its source (`src/…ts`), since dist/ is built, not committed.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARCHITECTURE = 'docs/architecture.md';

/** Folders that are not the project's files: dependencies, build output, runtime data. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', '.data', 'coverage']);
/** Generated text (benchmark reports): it exists and may be linked to, but is not checked. */
const GENERATED = /^infra\/bench\/results\//;
/** Where a path written from the repository root starts. */
const TOP_LEVEL = new Set(['shared', 'services', 'e2e', 'infra', 'migrations', 'scripts', 'docs']);
const CODE_FILE = /\.(ts|mts|mjs|js|sql|sh|ya?ml)$|(^|\/)Dockerfile$/;
const FILE_EXTENSIONS = 'ts|mts|mjs|js|sql|md|ya?ml|json|sh';
/** Dotted words that look like file names but are not (product names, hosts). */
const NOT_PATHS = new Set(['Node.js']);

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) walk(posix.join(dir, entry.name), out);
    } else if (entry.isFile()) {
      out.push(posix.join(dir, entry.name));
    }
  }
  return out;
}

const FILES = walk('.').map((f) => f.replace(/^\.\//, ''));
/** This file quotes reference forms to explain them; it is not checked against itself. */
const SELF = posix.relative(ROOT.split(sep).join('/'), fileURLToPath(import.meta.url).split(sep).join('/'));
const MARKDOWN = FILES.filter((f) => f.endsWith('.md') && !GENERATED.test(f));
const CODE = FILES.filter((f) => CODE_FILE.test(f) && !GENERATED.test(f) && f !== SELF);

interface Finding {
  file: string;
  line: number;
  reference: string;
  problem: string;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function report(findings: Finding[]): string {
  return `${findings.length} broken reference(s):\n${findings.map((f) => `  ${f.file}:${f.line}: ${f.reference} — ${f.problem}`).join('\n')}`;
}

// ---- the architecture document's sections -------------------------------------------------

/** Lower case, whitespace collapsed, Markdown emphasis dropped: how quoted words are compared. */
function normalise(text: string): string {
  return text.replace(/\*\*|__/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

interface Architecture {
  /** `## N.` sections: N → the section's text, heading included */
  sections: Map<string, string>;
  /** every heading's text */
  headings: string[];
}

function readArchitecture(): Architecture | null {
  const path = join(ROOT, ARCHITECTURE);
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').split('\n');
  const sections = new Map<string, string>();
  const headings: string[] = [];
  let current: string | null = null;
  let inFence = false;
  for (const line of lines) {
    if (/^```/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      headings.push(heading[2]!);
      if (heading[1] === '##') current = /^(\d+)\./.exec(heading[2]!)?.[1] ?? null;
    }
    if (current !== null) sections.set(current, `${sections.get(current) ?? ''}\n${line}`);
  }
  return { sections, headings };
}

/**
 * The text that follows a reference, with comment continuation markers (`//`, `--`, `#`, `*`)
 * and line breaks turned into single spaces, so a quote broken over two comment lines reads whole.
 */
function followingText(text: string, from: number, length = 400): string {
  return text.slice(from, from + length).replace(/\r?\n[ \t]*(?:\/\/+|--|#|\*(?!\*))?[ \t]*/g, ' ');
}

interface SectionReference {
  section: string | null;
  /** words quoted after `§N`, or the heading name after `docs/architecture.md,` */
  quoted: string | null;
  raw: string;
}

/** The section references that start right after one occurrence of `docs/architecture.md`. */
function parseArchitectureReference(after: string): SectionReference[] {
  const named = /^,\s*"([^"]+)"/.exec(after);
  if (named) return [{ section: null, quoted: named[1]!, raw: named[0] }];
  const refs: SectionReference[] = [];
  let rest = after;
  let m = /^\s*§(\d+)/.exec(rest);
  while (m) {
    rest = rest.slice(m[0].length);
    const quote = /^[:,]?\s*"([^"]+)"/.exec(rest);
    refs.push({ section: m[1]!, quoted: quote?.[1] ?? null, raw: `§${m[1]}${quote ? ` "${quote[1]}"` : ''}` });
    if (quote) rest = rest.slice(quote[0].length);
    // `§2, §5`, `§2 placement, §4 "…"`: further sections of the same document.
    m = /^(?:\s+[\w`]+){0,2}\s*(?:,|and)\s*§(\d+)/.exec(rest);
  }
  return refs;
}

function checkSectionReference(ref: SectionReference, doc: Architecture): string | null {
  const quoted = ref.quoted === null ? null : normalise(ref.quoted.replace(/(…|\.\.\.)$/, ''));
  if (ref.section === null) {
    return doc.headings.some((h) => normalise(h).includes(quoted!)) ? null : `no heading of ${ARCHITECTURE} contains "${ref.quoted}"`;
  }
  const text = doc.sections.get(ref.section);
  if (text === undefined) return `${ARCHITECTURE} has no heading "## ${ref.section}."`;
  if (quoted !== null && !normalise(text).includes(quoted)) return `section ${ref.section} of ${ARCHITECTURE} does not say "${ref.quoted}"`;
  return null;
}

// ---- paths ---------------------------------------------------------------------------------

/** Not a path but a pattern or a placeholder. */
function isPattern(token: string): boolean {
  // A bare extension (`.md`) names a kind of file, not a file.
  return /[<>{}*$…]|\.\.\.|NNNN|YYYY|^[a-z]+:|@|^\.\w+$/.test(token) || NOT_PATHS.has(token);
}

/** dist/ is build output: `services/cli/dist/main.js` is checked as `services/cli/src/main.ts`. */
function sourceOf(path: string): string {
  if (!/(^|\/)dist\//.test(path)) return path;
  return path.replace(/(^|\/)dist\//, '$1src/').replace(/\.d\.ts$|\.js$/, '.ts');
}

function exists(repoPath: string): boolean {
  const full = join(ROOT, ...repoPath.split('/'));
  if (!existsSync(full)) return false;
  return repoPath.endsWith('/') ? statSync(full).isDirectory() : true;
}

/**
 * Whether `token`, written in `file`, names something that exists: from the root when it
 * starts with a top-level folder, else from the file's folder or the folders above it, else
 * (a bare or partial name) as the end of some file's path.
 */
function resolves(token: string, file: string): boolean {
  const path = sourceOf(token.replace(/^\.\//, ''));
  const first = path.split('/')[0]!;
  if (TOP_LEVEL.has(first) || path === ARCHITECTURE) return exists(path);
  for (let dir = posix.dirname(file); ; dir = posix.dirname(dir)) {
    if (exists(dir === '.' ? path : `${dir}/${path}`)) return true;
    if (dir === '.') break;
  }
  const suffix = `/${path.replace(/\/$/, '')}`;
  return FILES.some((f) => `/${f}`.endsWith(suffix) || `/${f}`.includes(`${suffix}/`));
}

/** A repository path as written in prose: `shared/store/src/core/`, `tx-work.ts`, `write/storage-key.ts`. */
const PATH_IN_TEXT = new RegExp(
  String.raw`(?<![\w./@:<>-])((?:${[...TOP_LEVEL].join('|')})/[\w./-]*[\w/]|(?:[\w-]+/)*[\w-]+(?:\.[\w-]+)*\.(?:${FILE_EXTENSIONS}))(?![\w/-]|\.\w)`,
  'g',
);

function pathTokens(text: string): Array<{ token: string; index: number }> {
  const out: Array<{ token: string; index: number }> = [];
  for (const m of text.matchAll(PATH_IN_TEXT)) {
    const token = m[1]!;
    // `e.g.`-style words and version numbers are not paths.
    if (/^\d/.test(token) || !/[a-z]/i.test(token)) continue;
    out.push({ token, index: m.index! + m[0].indexOf(token) });
  }
  return out;
}

// ---- what is checked where -------------------------------------------------------------------

/** The comments of a code file, with their offsets in it (strings that look like comments are harmless: they hold no paths worth checking). */
function comments(file: string, text: string): Array<{ text: string; index: number }> {
  const out: Array<{ text: string; index: number }> = [];
  const patterns = /\.(sql)$/.test(file)
    ? [/--.*$/gm]
    : /\.(sh|ya?ml)$|Dockerfile$/.test(file)
      ? [/(^|\s)#.*$/gm]
      : [/(?<![:'"`\\])\/\/.*$/gm, /\/\*[\s\S]*?\*\//g];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) out.push({ text: m[0], index: m.index! });
  return out;
}

/** Markdown outside fenced code blocks (commands and config there are examples, not references). */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, (block) => block.replace(/[^\n]/g, ' '));
}

function sectionFindings(files: readonly string[], doc: Architecture | null): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/docs\/architecture\.md/g)) {
      const line = lineOf(text, m.index!);
      if (doc === null) {
        findings.push({ file, line, reference: ARCHITECTURE, problem: 'the file does not exist' });
        continue;
      }
      for (const ref of parseArchitectureReference(followingText(text, m.index! + m[0].length))) {
        const problem = checkSectionReference(ref, doc);
        if (problem) findings.push({ file, line, reference: `${ARCHITECTURE} ${ref.section === null ? `"${ref.quoted}"` : ref.raw}`, problem });
      }
    }
  }
  return findings;
}

const architecture = readArchitecture();

test(`section references to ${ARCHITECTURE} resolve (Markdown and comments)`, () => {
  const findings = sectionFindings([...MARKDOWN, ...CODE], architecture);
  if (findings.length > 0) assert.fail(report(findings));
});

test('docs/<file>.md named anywhere exists', () => {
  const findings: Finding[] = [];
  for (const file of [...MARKDOWN, ...CODE]) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/(?<![\w/.-])docs\/([\w.-]+)\.md\b/g)) {
      if (!exists(`docs/${m[1]}.md`)) findings.push({ file, line: lineOf(text, m.index!), reference: m[0], problem: 'no such file' });
    }
  }
  if (findings.length > 0) assert.fail(report(findings));
});

test('Markdown links and backticked paths resolve', () => {
  const findings: Finding[] = [];
  for (const file of MARKDOWN) {
    const text = prose(readFileSync(join(ROOT, file), 'utf8'));
    for (const m of text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = m[1]!.replace(/#.*$/, '');
      if (target === '' || /^[a-z]+:/i.test(target)) continue;
      const path = posix.normalize(posix.join(posix.dirname(file), target));
      if (!exists(path) && !exists(`${path}/`)) findings.push({ file, line: lineOf(text, m.index!), reference: m[0], problem: 'link target does not exist' });
    }
    for (const m of text.matchAll(/`([^`\s]+)`/g)) {
      const token = m[1]!;
      if (isPattern(token)) continue;
      const isPath = TOP_LEVEL.has(token.split('/')[0]!) || new RegExp(`\\.(?:${FILE_EXTENSIONS})$`).test(token);
      if (isPath && !resolves(token, file)) findings.push({ file, line: lineOf(text, m.index!), reference: `\`${token}\``, problem: 'no such file or folder' });
    }
  }
  if (findings.length > 0) assert.fail(report(findings));
});

test('file paths in code comments resolve', () => {
  const findings: Finding[] = [];
  for (const file of CODE) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const comment of comments(file, text)) {
      // A path broken over two comment lines (`services/placement/src/reconcile/` + `sync.ts`) is one path.
      const joined = comment.text.replace(/\/\n[ \t]*(?:\/\/+|--|#|\*)[ \t]*/g, '/');
      for (const { token, index } of pathTokens(joined)) {
        if (isPattern(token) || resolves(token, file)) continue;
        findings.push({ file, line: lineOf(text, comment.index + index), reference: token, problem: 'no such file or folder' });
      }
    }
  }
  if (findings.length > 0) assert.fail(report(findings));
});

test('the checker itself: references it must refuse are refused', () => {
  assert.equal(resolves('shared/store/src/no-such-file.ts', 'README.md'), false);
  assert.equal(resolves('leader-sweep.ts', 'services/cleanup/src/index.ts'), false);
  assert.equal(resolves('shared/store/src/core/', 'README.md'), true);
  assert.equal(resolves('write/storage-key.ts', 'services/gateway/src/degraded/find-copies.ts'), true);
  assert.equal(resolves('services/cli/dist/main.js', 'docs/performance.md'), true);
  assert.deepEqual(parseArchitectureReference(' §2 placement, §4 "A rule"').map((r) => [r.section, r.quoted]), [['2', null], ['4', 'A rule']]);
  assert.deepEqual(parseArchitectureReference(', "The ledger") and').map((r) => [r.section, r.quoted]), [[null, 'The ledger']]);
  const doc: Architecture = { sections: new Map([['4', '## 4. The ledger\nCommit is one transaction']]), headings: ['4. The ledger'] };
  assert.equal(checkSectionReference({ section: '4', quoted: 'Commit is one transaction', raw: '' }, doc), null);
  assert.match(checkSectionReference({ section: '4', quoted: 'Postgres next', raw: '' }, doc) ?? '', /does not say/);
  assert.match(checkSectionReference({ section: '9', quoted: null, raw: '' }, doc) ?? '', /no heading "## 9\."/);
  assert.match(checkSectionReference({ section: null, quoted: 'Events', raw: '' }, doc) ?? '', /no heading/);
});
