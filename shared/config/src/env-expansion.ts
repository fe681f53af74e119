// `${VAR}` and `${VAR:-default}` in the file's values, so secrets can come from
// the environment. Expansion works on the parsed tree, value by value — never
// on the raw text — so a variable's content cannot change the YAML's
// structure, and a problem can name the key it occurred in.

import { describeAt, type KeyPath } from './key-path.js';

export interface ExpansionProblem {
  path: KeyPath;
  text: string;
}

export interface ExpandedTree {
  tree: unknown;
  problems: ExpansionProblem[];
}

// `$${` is the escape for a literal `${`; a `${` without `}` is an error.
const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const VARIABLE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Expands every string value of `tree`. A value whose expansion failed is
 * left out (undefined) so the schema does not report it a second time.
 */
export function expandEnvironment(tree: unknown, env: NodeJS.ProcessEnv): ExpandedTree {
  const problems: ExpansionProblem[] = [];

  const walk = (value: unknown, path: KeyPath): unknown => {
    if (typeof value === 'string') {
      const expanded = expandString(value, env);
      if (expanded.ok) return expanded.value;
      for (const problem of expanded.problems) problems.push({ path, text: describeAt(path, problem) });
      return undefined;
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return value;
  };

  return { tree: walk(tree, []), problems };
}

type Expansion = { ok: true; value: string } | { ok: false; problems: string[] };

function expandString(text: string, env: NodeJS.ProcessEnv): Expansion {
  const problems: string[] = [];
  const value = text.replace(REFERENCE, (whole: string, inner: string | undefined) => {
    if (whole === '$${') return '${';
    if (inner === undefined) {
      problems.push('unterminated "${" (write "$${" for a literal "${")');
      return whole;
    }
    const reference = VARIABLE.exec(inner);
    if (reference === null) {
      problems.push(`invalid variable reference ${JSON.stringify(whole)}`);
      return whole;
    }
    const [, name, fallback] = reference;
    const current = env[name!];
    // Shell semantics: `:-` also replaces a variable that is set but empty.
    if (fallback !== undefined) return current === undefined || current === '' ? fallback : current;
    if (current === undefined) {
      problems.push(`environment variable ${JSON.stringify(name)} is not set`);
      return whole;
    }
    return current;
  });
  return problems.length === 0 ? { ok: true, value } : { ok: false, problems };
}
