/**
 * The configuration cannot be used. `problems` holds every problem found
 * (not just the first), each as `key.path: what is wrong`, so an operator can
 * fix them all in one pass.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly problems: string[],
    /** Warnings gathered before the failure (unknown keys …), for `validate` to show too. */
    readonly warnings: string[] = [],
    /** The file the configuration came from, when it came from one. */
    readonly file: string | null = null,
  ) {
    super(describeProblems(problems, file));
  }

  /** The same failure, attributed to the file it was read from. */
  inFile(file: string): ConfigError {
    return new ConfigError(this.problems, this.warnings, file);
  }
}

function describeProblems(problems: string[], file: string | null): string {
  const subject = file === null ? 'config' : `config file ${JSON.stringify(file)}`;
  if (problems.length === 1) return `${subject}: ${problems[0]}`;
  return `${subject}: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}
