// Group commit: writes that arrive together share one SQLite transaction, and one fsync acknowledges them all.
// Each write runs in its own savepoint, so one refused write rolls back alone; every caller hears back only after
// the shared transaction has committed and reached the disk.
//
// The fsync runs off the main thread: the batch commits with synchronous=NORMAL (SQLite writes the WAL but does not
// sync it), then the WAL file is fsynced on libuv's thread pool, and only then are the writes acknowledged. Writes
// arriving while an fsync runs wait for it to end and then commit together (they could not be acknowledged before
// the next fsync anyway): fewer, larger transactions, each with one commit and one wake-up of the long-polls. What a
// caller is told has been written is on disk, as with synchronous=FULL (which every other writer keeps), but the
// event loop serves requests while the disk works.
import { open, type FileHandle } from 'node:fs/promises';
import type { Db } from './database';

interface Pending {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Turns of the event loop a batch may wait for more writes (see settle). */
const SETTLE_ROUNDS = 4;

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface WriteBatcherOptions {
  /** Makes everything committed so far durable; by default fsyncs the database's WAL file (none for in-memory). */
  sync?: () => Promise<void>;
}

export class WriteBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Largest batch committed so far (for benchmarks and curiosity). */
  largestBatch = 0;
  private readonly sync: (() => Promise<void>) | undefined;
  /** Runs one write in its own savepoint (one transaction function for all: making one per write cost more than the savepoint). */
  private readonly inSavepoint: (run: () => unknown) => unknown;
  private syncing = false;
  private settleRounds = 0;
  private settledAt = 0;
  private awaitingSync: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  /** The batch's transaction: a savepoint for each write. */
  private readonly inTransaction: (batch: Pending[], outcomes: Outcome[]) => void;

  constructor(
    private readonly db: Db,
    options: WriteBatcherOptions = {},
  ) {
    this.sync = options.sync ?? (db.memory ? undefined : walSyncer(`${db.name}-wal`));
    this.inSavepoint = db.transaction((run: () => unknown) => run());
    this.inTransaction = db.transaction((batch: Pending[], outcomes: Outcome[]) => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: this.inSavepoint(item.run) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
  }

  /** Runs `write` (synchronous, SQLite only) in the next group transaction; resolves once it is committed and durable. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: write, resolve: resolve as (value: unknown) => void, reject });
      // While an fsync runs the write waits: its end flushes the queue.
      if (!this.syncing) this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.settleRounds = 0;
    this.settledAt = 0;
    setImmediate(this.settle);
  }

  /**
   * Flushes once a turn of the event loop brings no new write (at most SETTLE_ROUNDS turns): a client's concurrent
   * sends, answered together, come back over several turns, and each turn costs microseconds where a commit costs
   * a fraction of a millisecond.
   */
  private readonly settle = () => {
    if (this.queue.length > this.settledAt && this.settleRounds < SETTLE_ROUNDS) {
      this.settledAt = this.queue.length;
      this.settleRounds++;
      setImmediate(this.settle);
    } else this.flush();
  };

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.largestBatch = Math.max(this.largestBatch, batch.length);
    const outcomes: Outcome[] = [];
    const deferSync = this.sync !== undefined && !this.db.inTransaction;
    const synchronous = deferSync ? (this.db.pragma('synchronous', { simple: true }) as number) : 0;
    try {
      if (deferSync) this.db.pragma('synchronous = NORMAL');
      try {
        this.inTransaction(batch, outcomes);
      } finally {
        if (deferSync) this.db.pragma(`synchronous = ${synchronous}`);
      }
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    const settle = () =>
      batch.forEach((item, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    if (!deferSync) return settle();
    this.durable().then(settle, (error: unknown) => {
      // Committed but not known to be on disk: not acknowledged (a client's retry with the same txnId finds it).
      for (const item of batch) item.reject(error);
    });
  }

  /** Resolves after an fsync that started after this call: one fsync at a time, shared by whoever waits for it. */
  private durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.awaitingSync.push({ resolve, reject });
      if (!this.syncing) this.startSync();
    });
  }

  private startSync(): void {
    const group = this.awaitingSync;
    this.awaitingSync = [];
    this.syncing = true;
    this.sync!()
      .then(
        () => group.forEach((g) => g.resolve()),
        (error: unknown) => group.forEach((g) => g.reject(error)),
      )
      .finally(() => {
        this.syncing = false;
        if (this.awaitingSync.length > 0) this.startSync();
        else if (this.queue.length > 0) this.schedule();
      });
  }
}

/**
 * fsyncs the WAL through one handle kept open (opening and closing it per batch took more main-thread time than the
 * fsync). SQLite keeps the WAL file (the same inode: a checkpoint truncates or rewrites it) while a connection is
 * open. A sync that fails is retried once on a fresh handle before the error reaches the writers.
 */
function walSyncer(file: string): () => Promise<void> {
  let handle: FileHandle | undefined;
  return async () => {
    handle ??= await open(file, 'r');
    try {
      await handle.sync();
    } catch {
      const stale = handle;
      handle = undefined;
      await stale.close().catch(() => {});
      handle = await open(file, 'r');
      await handle.sync();
    }
  };
}
