import type { ConfigDocument } from './document.js';
import type { DatabaseDriver } from './types.js';

/**
 * DESIGN §7: `database.driver` wins when set; otherwise postgres when
 * `database.host` is set, else sqlite.
 */
export function selectedDatabaseDriver(database: ConfigDocument['database']): DatabaseDriver {
  return database.driver ?? (database.host !== null ? 'postgres' : 'sqlite');
}
