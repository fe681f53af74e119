// Shared helpers for the config tests: a minimal valid document to vary, and
// shortcuts that run the real parser and return what it reported.

import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { ConfigError, parseConfig, type LoadedConfig } from '../src/index.js';

/** The smallest valid configuration, as a fresh mutable object each call. */
export function minimalDocument(): Record<string, any> {
  return {
    buckets: [{ name: 'photos', credentials: [{ access_key_id: 'AK-PHOTOS', secret_access_key: 'photos-secret' }] }],
    backends: [
      {
        name: 'b1',
        endpoint: 'http://127.0.0.1:9001',
        bucket: 'real-bucket',
        access_key_id: 'backend-key',
        secret_access_key: 'backend-secret',
      },
    ],
  };
}

export function parseDocument(document: unknown, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  return parseConfig(stringify(document), env);
}

/** The problems of a configuration that must be refused. */
export function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected the configuration to be refused');
}

export function problemsOfDocument(document: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  return problemsOf(stringify(document), env);
}

/** Applies `change` to a minimal document and returns the problems it causes. */
export function problemsAfter(change: (document: Record<string, any>) => void): string[] {
  const document = minimalDocument();
  change(document);
  return problemsOfDocument(document);
}

/** Applies `change` to a minimal document and returns the resulting Config. */
export function configAfter(change: (document: Record<string, any>) => void): LoadedConfig {
  const document = minimalDocument();
  change(document);
  return parseDocument(document);
}
