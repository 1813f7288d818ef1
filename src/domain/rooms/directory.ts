// People from the user directory and rooms from a room directory, as the Start-a-DM and Explore dialogs show them,
// and the DM you already have with someone. Pure: the dialogs fetch, these decide.
import { isRoomAlias, isRoomId, isUserId } from '../../protocol/ids';
import { describeSender, type SenderProfile } from '../identity/describeSender';
import { initialIdentityState } from '../identity/badge';

export interface DirectoryUser {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

/**
 * A directory result as every other person is shown: through the identity function. The server lists a member of
 * a member-key room only under a user ID its link proves, so the user ID is the identity here (a plain handle).
 */
export function personOfDirectory(user: DirectoryUser): SenderProfile {
  const displayName = typeof user.display_name === 'string' && user.display_name.trim() ? user.display_name : undefined;
  const avatarMxc = typeof user.avatar_url === 'string' && user.avatar_url.startsWith('mxc://') ? user.avatar_url : undefined;
  return describeSender({
    identity: user.user_id,
    sender: user.user_id,
    member: { userId: user.user_id, ...(displayName ? { displayName } : {}), ...(avatarMxc ? { avatarMxc } : {}) },
    state: initialIdentityState(user.user_id, false),
    warnings: [],
  });
}

/** The people a search shows: well-formed user IDs only, once each, never yourself; a typed full user ID comes first when the directory lacks it. */
export function directoryPeople(results: readonly DirectoryUser[], typed: string, myUserId: string): SenderProfile[] {
  const seen = new Set<string>();
  const people: SenderProfile[] = [];
  const wanted = typed.trim();
  const add = (user: DirectoryUser) => {
    if (!isUserId(user.user_id) || user.user_id === myUserId || seen.has(user.user_id)) return;
    seen.add(user.user_id);
    people.push(personOfDirectory(user));
  };
  if (isUserId(wanted) && !results.some((r) => r.user_id === wanted)) add({ user_id: wanted });
  for (const user of results) add(user);
  return people;
}

/**
 * The DM you already have with `userId`: a room `m.direct` lists under them that you are in, where they are
 * still in or invited. The newest such room wins (the last in the list, as clients append).
 */
export function existingDirectRoom(
  direct: Readonly<Record<string, unknown>> | undefined,
  userId: string,
  membership: (roomId: string, userId: string) => string | undefined,
  myUserId: string,
): string | undefined {
  const listed = direct?.[userId];
  if (!Array.isArray(listed)) return undefined;
  for (const roomId of [...listed].reverse()) {
    if (typeof roomId !== 'string') continue;
    if (membership(roomId, myUserId) !== 'join') continue;
    const theirs = membership(roomId, userId);
    if (theirs === 'join' || theirs === 'invite') return roomId;
  }
  return undefined;
}

export interface PublishedRoom {
  roomId: string;
  name: string;
  alias?: string;
  topic?: string;
  avatarMxc?: string;
  members: number;
  /** Anyone may join; otherwise the room asks to knock or to be invited. */
  joinable: boolean;
  /** The room takes requests to join (join rule `knock`): "Ask to join" knocks. */
  knock: boolean;
}

/** A directory page's rooms, well-formed ones only, named by name, alias or ID (in that order). */
export function publishedRooms(chunk: unknown): PublishedRoom[] {
  if (!Array.isArray(chunk)) return [];
  const rooms: PublishedRoom[] = [];
  for (const entry of chunk) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (typeof e.room_id !== 'string' || !isRoomId(e.room_id)) continue;
    const alias = typeof e.canonical_alias === 'string' && isRoomAlias(e.canonical_alias) ? e.canonical_alias : undefined;
    const name = typeof e.name === 'string' && e.name.trim() ? e.name : (alias ?? e.room_id);
    const joinRule = typeof e.join_rule === 'string' ? e.join_rule : 'public';
    rooms.push({
      roomId: e.room_id,
      name,
      ...(alias ? { alias } : {}),
      ...(typeof e.topic === 'string' && e.topic.trim() ? { topic: e.topic } : {}),
      ...(typeof e.avatar_url === 'string' && e.avatar_url.startsWith('mxc://') ? { avatarMxc: e.avatar_url } : {}),
      members: typeof e.num_joined_members === 'number' && e.num_joined_members >= 0 ? Math.floor(e.num_joined_members) : 0,
      joinable: joinRule === 'public',
      knock: joinRule === 'knock',
    });
  }
  return rooms;
}
