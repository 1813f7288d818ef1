import { describe, expect, it } from 'vitest';
import { CREATOR_POWER_LEVEL, roleOf, sortMembers, type MemberSummary } from './members';
import { t } from '../../i18n';

const m = (name: string, powerLevel: number, membership: MemberSummary['membership'] = 'join'): MemberSummary => ({
  userId: `@${name}:x`,
  identity: `@${name}:x`,
  name,
  powerLevel,
  membership,
});

describe('members', () => {
  it('names power levels like Element', () => {
    expect(roleOf(100)).toBe('members.admin');
    expect(t(roleOf(100)!)).toBe('Admin');
    expect(roleOf(50)).toBe('members.moderator');
    expect(t(roleOf(50)!)).toBe('Moderator');
    expect(roleOf(99)).toBe('members.moderator');
    expect(roleOf(0)).toBeUndefined();
    // A version-12 room's creator, whose level matrix-js-sdk reports as the largest safe integer.
    expect(roleOf(CREATOR_POWER_LEVEL)).toBe('members.creator');
    expect(t(roleOf(CREATOR_POWER_LEVEL)!)).toBe('Owner');
  });
  it('lists joined members by power then name, invites last', () => {
    expect(sortMembers([m('zed', 0), m('amy', 0), m('inv', 100, 'invite'), m('boss', 100)]).map((x) => x.name)).toEqual([
      'boss',
      'amy',
      'zed',
      'inv',
    ]);
  });
  it('lists those asking to join (knocked) after invites', () => {
    expect(sortMembers([m('ask', 100, 'knock'), m('inv', 0, 'invite'), m('amy', 0)]).map((x) => x.name)).toEqual(['amy', 'inv', 'ask']);
  });
});
