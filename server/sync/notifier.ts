// Wakes long-polling /sync requests when anything they might report changes.
export class Notifier {
  private waiters = new Set<() => void>();

  /** Resolves on the next `notify()`, on timeout, or when the signal aborts. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done);
      this.waiters.add(done);
    });
  }

  notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Releases every waiter (on shutdown). */
  close(): void {
    this.notify();
  }
}
