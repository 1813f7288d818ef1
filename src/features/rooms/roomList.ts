// Room list view data: plain summaries, sorted and filtered by pure functions.

export interface RoomSummary {
  roomId: string;
  name: string;
  membership: 'join' | 'invite';
  /** Last activity (ms since epoch), for sorting. */
  lastActivity: number;
  unread: number;
  highlights: number;
  isDirect: boolean;
  /** Who invited us, for invites. */
  inviter?: string;
  avatarMxc?: string;
  /** Canonical alias, for the filter box. */
  alias?: string;
  /** The newest message, e.g. "erin: Tomatoes are in!". */
  preview?: string;
}

/** Invites first (they need an answer), then joined rooms by most recent activity; ties by name. */
export function sortRooms(rooms: readonly RoomSummary[]): RoomSummary[] {
  return [...rooms].sort((a, b) => {
    if (a.membership !== b.membership) return a.membership === 'invite' ? -1 : 1;
    if (a.lastActivity !== b.lastActivity) return b.lastActivity - a.lastActivity;
    return a.name.localeCompare(b.name);
  });
}

/** Case- and accent-insensitive match on the name or alias; an empty filter keeps everything. */
export function filterRooms(rooms: readonly RoomSummary[], filter: string): RoomSummary[] {
  const needle = fold(filter.trim());
  if (!needle) return [...rooms];
  return rooms.filter((room) => fold(room.name).includes(needle) || (room.alias !== undefined && fold(room.alias).includes(needle)));
}

function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export function visibleRooms(rooms: readonly RoomSummary[], filter: string): RoomSummary[] {
  return filterRooms(sortRooms(rooms), filter);
}

/** A short badge text: counts above 99 become "99+". */
export function badgeText(count: number): string {
  return count > 99 ? '99+' : String(count);
}
