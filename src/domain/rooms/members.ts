// Member list view data: who is in the room, in what role. Pure, for tests.

export interface MemberSummary {
  userId: string;
  identity: string;
  name: string;
  membership: 'join' | 'invite';
  powerLevel: number;
  avatarMxc?: string;
}

/** Element's names for the usual power levels. */
export function roleOf(powerLevel: number): 'Admin' | 'Moderator' | undefined {
  if (powerLevel >= 100) return 'Admin';
  if (powerLevel >= 50) return 'Moderator';
  return undefined;
}

/** Joined before invited; higher power first; then by name. */
export function sortMembers(members: readonly MemberSummary[]): MemberSummary[] {
  return [...members].sort((a, b) => {
    if (a.membership !== b.membership) return a.membership === 'join' ? -1 : 1;
    if (a.powerLevel !== b.powerLevel) return b.powerLevel - a.powerLevel;
    return a.name.localeCompare(b.name);
  });
}
