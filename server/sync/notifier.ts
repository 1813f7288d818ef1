// Wakes long-polling /sync requests when anything they might report changes.
export class Notifier {
  private waiters = new Set<() => void>();
  private closed = false;

  /** True once the server is shutting down: long-polls answer at once instead of waiting. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves on the next `notify()`, on timeout, or when the signal aborts. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve();
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

  /** Releases every waiter and stops waiting from now on (shutdown). */
  close(): void {
    this.closed = true;
    this.notify();
  }
}
