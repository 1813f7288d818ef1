// The other member of a DM, as the room list needs it to tell two DMs with the same name apart.
import type { Room } from 'matrix-js-sdk';
import { shortKey } from '../identity/badge';
import { describeSender, identityOfUser } from '../identity/describeSender';
import type { RoomSummary } from './roomList';

/**
 * The partner's handle as the rest of the client shows it (the verified handle, else the badge's words:
 * an unverified claim is never shown as a handle) and, in member-key rooms, the start of their key.
 */
export function directPartnerOf(room: Room, myUserId: string): Pick<RoomSummary, 'dmHandle' | 'dmKey'> {
  const partner = room.guessDMUserId();
  if (!partner || partner === myUserId) return {};
  const identity = identityOfUser(room, partner);
  const profile = describeSender(room, { identity, sender: partner });
  return profile.badge.kind === 'plain' ? { dmHandle: profile.handleLabel } : { dmHandle: profile.handleLabel, dmKey: shortKey(identity) };
}
