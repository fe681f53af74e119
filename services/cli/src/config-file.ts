// Loading the configuration file a command was given, with problems written for the operator.
import { ConfigError, loadConfig, type LoadedConfig } from '@s3o/config';

/** The loaded configuration, or null after writing its problems to stderr. Warnings go to stderr too. */
export async function loadConfigFile(path: string): Promise<LoadedConfig | null> {
  try {
    const loaded = await loadConfig(path);
    for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
    return loaded;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const w of err.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stderr.write(`${path}: invalid configuration\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return null;
  }
}
