// Minimal typings for the parts of better-sqlite3 12 the scale benchmark uses
// (@types/better-sqlite3 is not installed; shared/store keeps its own for its parts).
declare module 'better-sqlite3' {
  namespace Database {
    interface Statement {
      run(...params: unknown[]): { changes: number };
      get(...params: unknown[]): unknown;
      all(...params: unknown[]): unknown[];
    }
    interface Database {
      prepare(source: string): Statement;
      exec(source: string): this;
      pragma(source: string, options?: { simple?: boolean }): unknown;
      transaction<T extends (...args: never[]) => unknown>(fn: T): T;
      close(): this;
    }
  }
  const Database: new (filename: string, options?: { timeout?: number }) => Database.Database;
  export = Database;
}
