// `logging.*`: the level of the JSON log lines every process writes.

import type { z } from 'zod';
import { choice, section } from '../fields.js';
import { defineSection } from '../section.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LoggingConfig {
  level: LogLevel;
}

const schema = section({
  level: choice<LogLevel>('info', ['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
});

type Reads = { logging: z.output<typeof schema> };

export const loggingSection = defineSection({
  key: 'logging',
  field: 'logging',
  schema,
  normalise: ({ logging }: Reads): LoggingConfig => ({ level: logging.level }),
});
