// Names and avatars for "who sent this". Every view that shows a person goes through here, keyed by
// the sender identity (features/identity/sender), so the member-key issue changes one file.
import type { Room } from 'matrix-js-sdk';
import { senderIdentity, type SenderFields } from './sender';

export interface SenderProfile {
  identity: string;
  userId: string;
  name: string;
  avatarMxc?: string;
}

export function describeSender(room: Room | null | undefined, sender: { identity: string; sender: string }): SenderProfile {
  const member = room?.getMember(sender.sender);
  return {
    identity: sender.identity,
    userId: sender.sender,
    name: member?.name || localpartOf(sender.sender),
    avatarMxc: member?.getMxcAvatarUrl() ?? undefined,
  };
}

/** `@alice:example.org` → `alice`, for people not (yet) in the member list. */
export function localpartOf(userId: string): string {
  const match = /^@([^:]+)/.exec(userId);
  return match?.[1] ?? userId;
}

export function nameOfUser(room: Room | null | undefined, userId: string): string {
  return describeSender(room, { identity: userId, sender: userId }).name;
}

/** A member's identity in a room: the key their member event carries (member-key rooms), else the user ID. */
export function memberIdentity(room: Room, userId: string): string {
  const memberEvent = room.getMember(userId)?.events.member;
  const raw = memberEvent?.event as SenderFields | undefined;
  return raw ? senderIdentity(raw) : senderIdentity({ sender: userId });
}
