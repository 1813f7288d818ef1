// Member list view data: who is in the room, in what role. Pure, for tests.
import type { MessageKey } from '../../i18n';

export interface MemberSummary {
  userId: string;
  identity: string;
  name: string;
  membership: 'join' | 'invite' | 'knock';
  powerLevel: number;
  avatarMxc?: string;
}

/** Element's names for the usual power levels, as catalogue keys: views render them with t(). */
/** A room creator in room version 12 outranks every power level (MSC4289): matrix-js-sdk gives them this one. */
export const CREATOR_POWER_LEVEL = Number.MAX_SAFE_INTEGER;

export function roleOf(powerLevel: number): Extract<MessageKey, 'members.creator' | 'members.admin' | 'members.moderator'> | undefined {
  if (powerLevel >= CREATOR_POWER_LEVEL) return 'members.creator';
  if (powerLevel >= 100) return 'members.admin';
  if (powerLevel >= 50) return 'members.moderator';
  return undefined;
}

const membershipOrder = { join: 0, invite: 1, knock: 2 } as const;

/** Joined before invited before asking to join (knocked); higher power first; then by name. */
export function sortMembers<T extends MemberSummary>(members: readonly T[]): T[] {
  return [...members].sort((a, b) => {
    if (a.membership !== b.membership) return membershipOrder[a.membership] - membershipOrder[b.membership];
    if (a.powerLevel !== b.powerLevel) return b.powerLevel - a.powerLevel;
    return a.name.localeCompare(b.name);
  });
}
