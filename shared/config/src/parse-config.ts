// The two entry points: configuration text → Config, and a file → Config.

import { readFile } from 'node:fs/promises';
import { expandEnvironment } from './env-expansion.js';
import { ConfigError } from './errors.js';
import { formatKeyPath } from './key-path.js';
import { applyConfigSchema, configSchema } from './schema.js';
import type { Config } from './sections/index.js';
import { findUnknownKeys } from './unknown-keys.js';
import { readYamlTree } from './yaml-tree.js';

export interface LoadedConfig {
  config: Config;
  /** Things that did not stop the load but had no effect (unknown keys …). */
  warnings: string[];
}

/**
 * Parses, expands, validates and normalises configuration text.
 * @throws ConfigError listing every problem found.
 */
export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const yaml = readYamlTree(text);
  const expanded = expandEnvironment(yaml.tree, env);
  const warnings = [...yaml.warnings, ...findUnknownKeys(configSchema, expanded.tree)];
  const result = applyConfigSchema(expanded.tree);

  // A value whose variable was missing was left out; the schema's "required"
  // (or similar) for that same key would only repeat the expansion problem.
  const unexpanded = new Set(expanded.problems.map((problem) => formatKeyPath(problem.path)));
  const problems = [
    ...expanded.problems.map((problem) => problem.text),
    ...(result.ok ? [] : result.problems.filter((p) => !unexpanded.has(formatKeyPath(p.path))).map((p) => p.text)),
  ];
  if (problems.length > 0 || !result.ok) throw new ConfigError(problems, warnings);
  return { config: result.config, warnings };
}

/**
 * Reads and parses a configuration file.
 * @throws ConfigError naming the file, when it cannot be read or is invalid.
 */
export async function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`cannot read the file: ${(error as Error).message}`], [], path);
  }
  try {
    return parseConfig(text, env);
  } catch (error) {
    if (error instanceof ConfigError) throw error.inFile(path);
    throw error;
  }
}
