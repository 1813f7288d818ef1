// Who gets a room's encryption keys (PROTOCOL.md §8). In a member-key room a member's devices are those of the user ID
// its link names, so only members whose link is `verified` get keys: a `pending`, `unverified` or `erased` link names
// no one we can trust with them. The room says how many were left out. A member who moved servers keeps its key; its
// keys go to the user ID the link names now, not the one it had. Classic rooms: every member, as the spec has it.
import { ClientEvent, type MatrixClient, type Room, type RoomMember } from 'matrix-js-sdk';
import { KNOWN_ROOM_VERSIONS, LINK_FIELD, type MemberInfo } from '../../protocol';
import { identityOfMemberEvent } from '../identity/describeSender';
import type { IdentityStore } from '../identity/identityStore';

export function usesMemberKeys(room: Room): boolean {
  const version = room.getVersion();
  return Object.hasOwn(KNOWN_ROOM_VERSIONS, version) && KNOWN_ROOM_VERSIONS[version]!.usesMemberKeys;
}

/** What the homeserver reports of a member's key (undefined: not reported yet). */
function infoOf(member: RoomMember, memberInfo: Record<string, MemberInfo> | undefined): MemberInfo | undefined {
  const raw = member.events.member?.event;
  if (!raw) return undefined;
  return memberInfo?.[identityOfMemberEvent(raw as Parameters<typeof identityOfMemberEvent>[0])];
}

/** A member's link status (undefined: not reported yet). */
function linkStatus(info: MemberInfo | undefined): string | undefined {
  return info?.[LINK_FIELD]?.status ?? (info?.user_id ? 'verified' : undefined);
}

/** Splits the members the SDK would encrypt to into those who get keys and those left out (§8). */
export function keyRecipients(
  room: Room,
  members: readonly RoomMember[],
  memberInfo: Record<string, MemberInfo> | undefined,
): { recipients: RoomMember[]; withheld: RoomMember[] } {
  if (!usesMemberKeys(room)) return { recipients: [...members], withheld: [] };
  const recipients: RoomMember[] = [];
  const withheld: RoomMember[] = [];
  for (const member of members) {
    const info = infoOf(member, memberInfo);
    // The SDK still lists a moved member under its former user ID (the server's leave for it not heard yet): the key
    // now names another user ID, whose own member entry gets the keys; the old ID's devices get none (§8).
    if (info?.user_id && info.user_id !== member.userId) continue;
    (linkStatus(info) === 'verified' ? recipients : withheld).push(member);
  }
  return { recipients, withheld };
}

/**
 * Makes matrix-js-sdk's crypto share room keys per §8: the Rust crypto asks `room.getEncryptionTargetMembers()` for
 * the members to encrypt to, so each room's answer is filtered by the links the identity store holds.
 */
export function shareKeysWithVerifiedLinks(client: MatrixClient, identity: IdentityStore): () => void {
  const patched = new WeakSet<Room>();
  const patch = (room: Room) => {
    if (patched.has(room)) return;
    patched.add(room);
    const all = room.getEncryptionTargetMembers.bind(room);
    room.getEncryptionTargetMembers = async () => keyRecipients(room, await all(), identity.getState().memberInfo[room.roomId]).recipients;
  };
  for (const room of client.getRooms()) patch(room);
  client.on(ClientEvent.Room, patch);
  return () => client.off(ClientEvent.Room, patch);
}
