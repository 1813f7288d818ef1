// Room list view data: plain summaries, sorted and filtered by pure functions.
import { roomIdServer, shortRoomId } from '../../protocol';
import type { Message } from '../../i18n';

export interface RoomSummary {
  roomId: string;
  name: string;
  /** `knock`: we asked to join (knocked) and wait for an answer. */
  membership: 'join' | 'invite' | 'knock';
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
  preview?: Message;
  /**
   * For a DM: what stands where the other member's handle would, e.g. `@bob:beta.localhost`; never an
   * unverified claim (then the badge's words, e.g. "⚠ Unverified handle").
   */
  dmHandle?: string;
  /** For a DM in a member-key room: the start of the other member's key, when handles cannot tell two apart. */
  dmKey?: string;
  /** This account's notification level for the room when it is not "all messages" (its push rules). */
  notify?: 'mentions' | 'mute';
}

/** A room as the list shows it: `hint` tells it apart from other rooms of the same name. */
export interface RoomListEntry extends RoomSummary {
  hint?: string;
}

const membershipOrder = { invite: 0, join: 1, knock: 2 } as const;

/** Invites first (they need an answer), then joined rooms by most recent activity, then requests to join; ties by name. */
export function sortRooms<T extends RoomSummary>(rooms: readonly T[]): T[] {
  return [...rooms].sort((a, b) => {
    if (a.membership !== b.membership) return membershipOrder[a.membership] - membershipOrder[b.membership];
    if (a.lastActivity !== b.lastActivity) return b.lastActivity - a.lastActivity;
    return a.name.localeCompare(b.name);
  });
}

/** Case- and accent-insensitive match on the name, alias or hint; an empty filter keeps everything. */
export function filterRooms<T extends RoomListEntry>(rooms: readonly T[], filter: string): T[] {
  const needle = fold(filter.trim());
  if (!needle) return [...rooms];
  return rooms.filter((room) => [room.name, room.alias, room.hint].some((text) => text !== undefined && fold(text).includes(needle)));
}

function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Hints come from the whole list, not the filtered part, so a room's line does not change as one types. */
export function visibleRooms(rooms: readonly RoomSummary[], filter: string): RoomListEntry[] {
  return filterRooms(sortRooms(withHints(rooms)), filter);
}

/**
 * What can tell a room apart, most telling first: a DM's other member (their handle, then their key), else
 * the canonical alias, else where the room was made; the start of the room ID last, for two DMs with one
 * person or two rooms of one server without alias.
 */
function hintParts(room: RoomSummary): string[] {
  const parts: string[] = [];
  if (room.isDirect && room.dmHandle) parts.push(room.dmHandle);
  if (room.isDirect && room.dmKey) parts.push(`key ${room.dmKey}`);
  if (parts.length === 0) parts.push(room.alias ?? roomIdServer(room.roomId) ?? shortRoomId(room.roomId));
  if (!parts.includes(shortRoomId(room.roomId))) parts.push(shortRoomId(room.roomId));
  return parts;
}

/** The shortest hint per room that no other room of the group shares: parts are added only where needed. */
function groupHints(group: readonly RoomSummary[]): string[] {
  const parts = group.map(hintParts);
  const hints = parts.map((p) => p[0]!);
  for (let level = 1; level < Math.max(...parts.map((p) => p.length)); level++) {
    const counts = countBy(hints, fold);
    hints.forEach((hint, i) => {
      const next = parts[i]![level];
      if (counts.get(fold(hint))! > 1 && next !== undefined) hints[i] = `${hint} · ${next}`;
    });
  }
  return hints;
}

/**
 * Rooms whose names look the same (case and accents aside) get a hint that tells them apart, like a
 * mature client does; rooms with a name of their own get none.
 */
export function withHints(rooms: readonly RoomSummary[]): RoomListEntry[] {
  const hints = new Map<string, string>();
  for (const group of groupBy(rooms, (room) => fold(room.name.trim())).values()) {
    if (group.length < 2) continue;
    groupHints(group).forEach((hint, i) => hints.set(group[i]!.roomId, hint));
  }
  return rooms.map((room) => {
    const hint = hints.get(room.roomId);
    return hint === undefined ? room : { ...room, hint };
  });
}

/**
 * Joined DMs whose hint names a partner by member key, in rooms whose links the client has not heard of yet
 * (after a reload it resumes from its stored sync, without them): until asked, the hint would read "unverified".
 */
export function directRoomsAwaitingLinks(rooms: readonly RoomListEntry[], hasLinks: (roomId: string) => boolean): string[] {
  return rooms
    .filter(
      (room) =>
        room.hint !== undefined && room.isDirect && room.membership === 'join' && room.dmKey !== undefined && !hasLinks(room.roomId),
    )
    .map((room) => room.roomId);
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function countBy(items: readonly string[], keyOf: (item: string) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}

/** A short badge text: counts above 99 become "99+". */
export function badgeText(count: number): string {
  return count > 99 ? '99+' : String(count);
}
