// The other member of a DM, as the room list needs it to tell two DMs with the same name apart.
import type { Room } from 'matrix-js-sdk';
import { shortKey } from '../identity/badge';
import { roomIdentities, type IdentityFacts } from '../../domain/room/roomIdentities';
import type { RoomSummary } from './roomList';

/**
 * The partner's handle as the rest of the client shows it (the verified handle, else the badge's words:
 * an unverified claim is never shown as a handle) and, in member-key rooms, the start of their key.
 */
export function directPartnerOf(room: Room, myUserId: string, facts: IdentityFacts): Pick<RoomSummary, 'dmHandle' | 'dmKey'> {
  const partner = room.guessDMUserId();
  if (!partner || partner === myUserId) return {};
  const identities = roomIdentities(room);
  const identity = identities.identityOfUser(partner);
  const profile = identities.profile({ identity, sender: partner }, facts);
  return profile.badge.kind === 'plain' ? { dmHandle: profile.handleLabel } : { dmHandle: profile.handleLabel, dmKey: shortKey(identity) };
}
