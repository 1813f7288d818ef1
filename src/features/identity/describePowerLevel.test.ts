import { describe, expect, it } from 'vitest';
import { CREATOR_POWER_LEVEL } from '../../domain/rooms/members';
import { describePowerLevel } from './IdentityInspector';

describe('describePowerLevel', () => {
  it('names a version-12 creator (the largest safe integer to matrix-js-sdk) as the owner, not by the number', () => {
    expect(describePowerLevel(CREATOR_POWER_LEVEL)).toBe('Owner');
    expect(describePowerLevel(100)).toBe('100 (Admin)');
    expect(describePowerLevel(50)).toBe('50 (Moderator)');
    expect(describePowerLevel(0)).toBe('0');
  });
});
