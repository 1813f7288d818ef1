// Memory that follows the database through rollbacks. A cache written inside a transaction (a batch of sends
// keeps each room's forward extremities in memory, and the next send of the batch reads them there) must not keep
// what a rolled-back transaction or savepoint wrote. Every db.transaction function is wrapped: a cache change made
// inside it records how to undo itself, and when the transaction function throws (its writes rolled back by
// better-sqlite3, including a COMMIT that failed) the changes it made are undone, newest first. Once the outermost
// transaction has committed the undo entries are dropped.
import type { Db } from './database';

export interface RollbackJournal {
  /** Inside a transaction: remembers `undo` until the transaction commits, and runs it if its savepoint rolls back. */
  onRollback(undo: () => void): void;
}

const journals = new WeakMap<Db, RollbackJournal>();

type TransactionFunction = ((...args: unknown[]) => unknown) & {
  default: (...args: unknown[]) => unknown;
  database: Db;
  deferred: (...args: unknown[]) => unknown;
  immediate: (...args: unknown[]) => unknown;
  exclusive: (...args: unknown[]) => unknown;
};

/** The database's journal, installed (db.transaction wrapped) on first use. */
export function rollbackJournal(db: Db): RollbackJournal {
  const existing = journals.get(db);
  if (existing) return existing;
  const undos: Array<() => void> = [];
  const original = db.transaction.bind(db) as unknown as (fn: (...args: unknown[]) => unknown) => TransactionFunction;
  const guarded =
    (run: (...args: unknown[]) => unknown) =>
    (...args: unknown[]): unknown => {
      const mark = undos.length;
      let result: unknown;
      try {
        result = run(...args);
      } catch (error) {
        // better-sqlite3 rolled back what `run` wrote (to its savepoint, or all of it): so does memory.
        while (undos.length > mark) undos.pop()!();
        throw error;
      }
      if (!db.inTransaction) undos.length = 0;
      return result;
    };
  (db as unknown as { transaction: unknown }).transaction = (fn: (...args: unknown[]) => unknown) => {
    const transaction = original(fn);
    const wrapped = guarded(transaction) as TransactionFunction;
    wrapped.deferred = guarded(transaction.deferred);
    wrapped.immediate = guarded(transaction.immediate);
    wrapped.exclusive = guarded(transaction.exclusive);
    wrapped.default = wrapped;
    wrapped.database = db;
    return wrapped;
  };
  const journal: RollbackJournal = {
    onRollback(undo) {
      if (db.inTransaction) undos.push(undo);
    },
  };
  journals.set(db, journal);
  return journal;
}
