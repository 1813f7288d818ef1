import { describe, expect, it } from 'vitest';
import { MatrixError } from './errors';
import { FailureBackoff, RateLimiter } from './rate-limit';

/** The 429's retry_after_ms, or undefined when `attempt` passes. */
function retryAfter(attempt: () => void): number | undefined {
  try {
    attempt();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(MatrixError);
    expect([(error as MatrixError).status, (error as MatrixError).errcode]).toEqual([429, 'M_LIMIT_EXCEEDED']);
    return (error as MatrixError).extra.retry_after_ms as number;
  }
}

describe('FailureBackoff', () => {
  const make = () => {
    const clock = { now: 1_000_000 };
    return { clock, backoff: new FailureBackoff({ freeFailures: 3, baseMs: 1000, maxMs: 16_000 }, () => clock.now) };
  };

  it('lets the free failures through, then doubles the back-off per failure up to the maximum', () => {
    const { clock, backoff } = make();
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      expect(retryAfter(() => backoff.check('@bob:x'))).toBeUndefined();
      waits.push(backoff.fail('@bob:x'));
      const wait = retryAfter(() => backoff.check('@bob:x'));
      expect(wait ?? 0).toBe(waits[i]);
      clock.now += waits[i]!;
    }
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 4000, 8000, 16_000, 16_000, 16_000]);
  });

  it('counts down while backing off, touches no other key, and a success clears it', () => {
    const { clock, backoff } = make();
    for (let i = 0; i < 5; i++) backoff.fail('@bob:x');
    expect(retryAfter(() => backoff.check('@bob:x'))).toBe(2000);
    clock.now += 500;
    expect(retryAfter(() => backoff.check('@bob:x'))).toBe(1500);
    expect(retryAfter(() => backoff.check('@carol:x'))).toBeUndefined();
    backoff.succeed('@bob:x');
    expect(retryAfter(() => backoff.check('@bob:x'))).toBeUndefined();
    expect(backoff.fail('@bob:x')).toBe(0);
  });

  it('forgets failures after the maximum back-off without a new one', () => {
    const { clock, backoff } = make();
    for (let i = 0; i < 6; i++) backoff.fail('@bob:x');
    clock.now += 16_001;
    expect(backoff.fail('@bob:x')).toBe(0);
  });

  it('keeps memory bounded when flooded with names', () => {
    const clock = { now: 0 };
    const backoff = new FailureBackoff({ freeFailures: 0, baseMs: 1000, maxMs: 60_000 }, () => clock.now, 1000);
    for (let i = 0; i < 5000; i++) backoff.fail(`@guess${i}:x`);
    expect((backoff as unknown as { records: Map<string, unknown> }).records.size).toBeLessThanOrEqual(1000);
    // The newest are kept.
    expect(retryAfter(() => backoff.check('@guess4999:x'))).toBe(1000);
  });
});

describe('RateLimiter', () => {
  it('one bucket per key: one address flooding leaves every other address its whole burst', () => {
    const clock = { now: 0 };
    const limiter = new RateLimiter({ burst: 5, perSecond: 1 }, () => clock.now);
    for (let i = 0; i < 5; i++) limiter.take('login:10.0.0.66');
    expect(retryAfter(() => limiter.take('login:10.0.0.66'))).toBe(1000);
    for (let i = 0; i < 5; i++) expect(retryAfter(() => limiter.take('login:10.0.0.7'))).toBeUndefined();
  });
});
