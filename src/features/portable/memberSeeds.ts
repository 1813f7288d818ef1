// The member-key fields a portable account sends when joining or creating a member-key room (PROTOCOL.md §2, §5):
// the seed is derived from the member-key root K, so the same recovery key always gives the same member keys.
import {
  CREATOR_NONCE_FIELD,
  deriveCreatorMemberKey,
  deriveMemberKey,
  encodeBase64,
  generateCreatorNonce,
  MEMBER_SEED_FIELD,
} from '../../protocol';

export type JoinSeedFields = { [MEMBER_SEED_FIELD]: string };
export type CreateSeedFields = { [MEMBER_SEED_FIELD]: string; [CREATOR_NONCE_FIELD]: string };

/** Body fields for POST /join/{roomId}: the seed of M_R for this room. */
export function joinSeedFields(memberRoot: Uint8Array, roomId: string): JoinSeedFields {
  return { [MEMBER_SEED_FIELD]: encodeBase64(deriveMemberKey(memberRoot, roomId).seed) };
}

/** Body fields for POST /createRoom: a fresh nonce and the creator key derived from it. */
export function createRoomSeedFields(memberRoot: Uint8Array, nonce: string = generateCreatorNonce()): CreateSeedFields {
  return { [MEMBER_SEED_FIELD]: encodeBase64(deriveCreatorMemberKey(memberRoot, nonce).seed), [CREATOR_NONCE_FIELD]: nonce };
}
