// Group commit: writes that arrive together share one SQLite transaction, so one fsync (synchronous=FULL)
// acknowledges many sends. Each write runs in its own savepoint, so one refused write rolls back alone;
// every caller hears back only after the shared transaction has committed.
import type { Db } from './database';

interface Pending {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class WriteBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Largest batch committed so far (for benchmarks and curiosity). */
  largestBatch = 0;

  constructor(private readonly db: Db) {}

  /** Runs `write` (synchronous, SQLite only) in the next group transaction; resolves after the commit. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After this turn's I/O callbacks: requests that arrived together are queued by then.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    this.largestBatch = Math.max(this.largestBatch, batch.length);
    const outcomes: Outcome[] = [];
    try {
      this.db.transaction(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: this.db.transaction(item.run)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
