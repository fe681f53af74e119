// Values a file may leave out that then follow from other sections — the one place they
// are worked out. Sections never infer them themselves: the schema computes them once per
// file and hands them to every section's normalise and rules, so a rule and the Config it
// guards cannot disagree.

export const DATABASE_DRIVERS = ['sqlite', 'postgres'] as const;
export type DatabaseDriver = (typeof DATABASE_DRIVERS)[number];

export const BUS_DRIVERS = ['memory', 'nats'] as const;
export type BusDriver = (typeof BUS_DRIVERS)[number];

export interface DerivedValues {
  /** `database.driver` when set; otherwise postgres when `database.host` is set, else sqlite. */
  databaseDriver: DatabaseDriver;
  /** `bus.driver` when set; otherwise the bus follows the database: nats with postgres, memory with sqlite. */
  busDriver: BusDriver;
}

/** What derivation reads (rules also run on a file with bad values, where those read as undefined). */
export interface DerivationInputs {
  database: { driver: DatabaseDriver | null; host: string | null };
  bus: { driver: BusDriver | null };
}

export function deriveValues({ database, bus }: DerivationInputs): DerivedValues {
  const databaseDriver = database.driver ?? (database.host !== null ? 'postgres' : 'sqlite');
  return {
    databaseDriver,
    busDriver: bus.driver ?? (databaseDriver === 'postgres' ? 'nats' : 'memory'),
  };
}
