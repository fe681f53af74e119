// The few parts of better-sqlite3 12 the ledger probe uses (@types/better-sqlite3 is not
// installed; the store package carries its own typings the same way).
declare module 'better-sqlite3' {
  interface Statement {
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  }
  interface Connection {
    prepare(source: string): Statement;
    close(): this;
  }
  const Database: new (filename: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => Connection;
  export default Database;
}
