// Minimal typings for the parts of better-sqlite3 12 this package uses (@types/better-sqlite3
// is not installed). Remove this file if the @types package is added.
declare module 'better-sqlite3' {
  namespace Database {
    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      /** busy timeout in milliseconds */
      timeout?: number;
    }

    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }

    /** positional values, or one object of named values */
    type BindParameters = unknown[];

    interface Statement {
      run(...params: BindParameters): RunResult;
      get(...params: BindParameters): unknown;
      all(...params: BindParameters): unknown[];
    }

    interface Database {
      readonly name: string;
      readonly open: boolean;
      readonly inTransaction: boolean;
      readonly readonly: boolean;
      prepare(source: string): Statement;
      exec(source: string): this;
      pragma(source: string, options?: { simple?: boolean }): unknown;
      defaultSafeIntegers(toggle?: boolean): this;
      close(): this;
      /** SQLite's online backup API; `progress` returns the pages to copy in the next step. */
      backup(destination: string, options?: { progress?: (info: { totalPages: number; remainingPages: number }) => number | void }): Promise<{ totalPages: number; remainingPages: number }>;
    }
  }

  const Database: new (filename: string, options?: Database.Options) => Database.Database;
  export = Database;
}
