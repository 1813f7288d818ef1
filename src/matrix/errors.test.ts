import { describe, expect, it } from 'vitest';
import { describeMatrixError } from './errors';

describe('describeMatrixError', () => {
  it('says what happened and what to do for common server errors', () => {
    expect(describeMatrixError({ errcode: 'M_USER_IN_USE', httpStatus: 400 })).toMatch(/taken.*another/);
    expect(describeMatrixError({ errcode: 'M_FORBIDDEN', httpStatus: 403 }, 'Could not invite')).toBe(
      "Could not invite: You don't have permission to do that here.",
    );
    expect(describeMatrixError({ errcode: 'M_LIMIT_EXCEEDED', httpStatus: 429, data: { retry_after_ms: 2500 } })).toBe(
      'Too many requests. Wait 3 s and try again.',
    );
    expect(describeMatrixError({ name: 'ConnectionError' })).toMatch(/Can't reach the server/);
    expect(describeMatrixError({ httpStatus: 502 })).toMatch(/server had a problem \(502\)/);
  });
  it("falls back to the server's own words, then to a generic line, and never throws", () => {
    expect(describeMatrixError({ errcode: 'M_WEIRD', httpStatus: 400, data: { error: 'Room is full' } })).toBe('Room is full');
    expect(describeMatrixError(undefined)).toBe('Something went wrong. Try again.');
    expect(describeMatrixError('string error')).toBe('Something went wrong. Try again.');
  });
});
