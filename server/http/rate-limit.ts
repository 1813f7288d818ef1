// Token bucket per key (e.g. client address + action): bursts are allowed, sustained floods get 429.
import { MatrixError } from './errors';

export interface RateLimitOptions {
  burst: number;
  perSecond: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();
  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key` or throws 429 M_LIMIT_EXCEEDED with the wait until the next token. */
  take(key: string): void {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, updated: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.updated) / 1000) * this.options.perSecond);
    bucket.updated = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      const retryAfterMs = Math.ceil(((1 - bucket.tokens) / this.options.perSecond) * 1000);
      throw new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs });
    }
    bucket.tokens -= 1;
    if (this.buckets.size > 10_000) this.prune(now);
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.updated) / 1000) * this.options.perSecond >= this.options.burst) this.buckets.delete(key);
    }
  }
}

export interface BackoffOptions {
  /** Failures allowed before the first back-off (typos happen). */
  freeFailures: number;
  /** The first back-off; each further failure doubles it. */
  baseMs: number;
  /** The longest back-off; failures are forgotten after this long without a new one. */
  maxMs: number;
}

/**
 * Exponential back-off per key (e.g. an account) that only failures feed: after `freeFailures` failures the key
 * backs off for `baseMs`, then twice as long after each further failure, up to `maxMs`. While it backs off every
 * attempt is refused unchecked (429 with the time left), so guessing costs time whoever guesses; a success clears
 * it. Memory stays bounded: at most `maxKeys` keys, forgotten ones first.
 */
export class FailureBackoff {
  private readonly records = new Map<string, { failures: number; lastFailure: number; until: number }>();
  constructor(
    private readonly options: BackoffOptions,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Throws 429 M_LIMIT_EXCEEDED with `retry_after_ms` while `key` is backing off. */
  check(key: string): void {
    const record = this.records.get(key);
    const wait = record ? record.until - this.now() : 0;
    if (wait > 0) {
      throw new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many failed attempts for this account: wait before trying again', {
        retry_after_ms: wait,
      });
    }
  }

  /** Records a failure for `key`; returns the back-off it now has (0 while failures are still free). */
  fail(key: string): number {
    const now = this.now();
    let record = this.records.get(key);
    if (record && now - record.lastFailure > this.options.maxMs && now >= record.until) record = undefined;
    record ??= { failures: 0, lastFailure: now, until: 0 };
    record.failures += 1;
    record.lastFailure = now;
    const over = record.failures - this.options.freeFailures;
    const backoff = over > 0 ? Math.min(this.options.maxMs, this.options.baseMs * 2 ** Math.min(over - 1, 40)) : 0;
    record.until = now + backoff;
    this.records.delete(key); // re-insert: the Map's order is then oldest failure first
    this.records.set(key, record);
    if (this.records.size > this.maxKeys) this.prune(now);
    return backoff;
  }

  succeed(key: string): void {
    this.records.delete(key);
  }

  private prune(now: number): void {
    for (const [key, record] of this.records) {
      if (now - record.lastFailure > this.options.maxMs && now >= record.until) this.records.delete(key);
    }
    // Still full: drop the keys whose last failure is oldest.
    for (const key of this.records.keys()) {
      if (this.records.size <= this.maxKeys) break;
      this.records.delete(key);
    }
  }
}
