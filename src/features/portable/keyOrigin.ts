// Where a portable account's member key in a room came from (PROTOCOL.md §2, §5): made from K (from the room ID, the
// create event's creator nonce, or the invite-key nonce in its member event), so the recovery key alone brings it
// back; or made by the server (an invite while the invite-key pool was empty), so it cannot move with the account.
// Pure: the facts come from room state.
import {
  deriveCreatorMemberKey,
  deriveInviteMemberKey,
  deriveMemberKey,
  memberIdFromPublicKey,
  normaliseKey,
  type KeyPair,
} from '../../protocol';

export type KeyOrigin = 'derived' | 'server' | 'unknown';

export interface KeyFacts {
  roomId: string;
  /** This account's member key in the room (any key form). */
  ownKey: string;
  /** `dev.wayfarer.creator_nonce` of the create event and the create event's sender. */
  creatorNonce?: string;
  creator?: string;
  /** `dev.wayfarer.key_nonce` of this account's current member event. */
  keyNonce?: string;
  /** The membership before this account's first join, when known ('invite': it joined through an invite). */
  joinedFrom?: string;
}

const sameKey = (a: string, b: string) => {
  try {
    return normaliseKey(a) === normaliseKey(b);
  } catch {
    return false;
  }
};

/** The key pairs K can make for this room: every way a member key of ours may have been derived. */
export function derivableKeys(memberRoot: Uint8Array, facts: Omit<KeyFacts, 'ownKey'>): KeyPair[] {
  const pairs = [deriveMemberKey(memberRoot, facts.roomId)];
  if (facts.creatorNonce) pairs.push(deriveCreatorMemberKey(memberRoot, facts.creatorNonce));
  if (facts.keyNonce) pairs.push(deriveInviteMemberKey(memberRoot, facts.keyNonce));
  return pairs;
}

/**
 * With K: exactly (one of the derivations gives the key, or none does). Without K, from the room state alone: a key
 * nonce or the creator's nonce means the client derived it; a join from an invite without a nonce means the server
 * made the key at invite time (the pool was empty); anything else is not known.
 */
export function memberKeyOrigin(facts: KeyFacts, memberRoot?: Uint8Array): KeyOrigin {
  if (memberRoot) {
    return derivableKeys(memberRoot, facts).some((pair) => sameKey(memberIdFromPublicKey(pair.publicKey), facts.ownKey))
      ? 'derived'
      : 'server';
  }
  if (facts.keyNonce) return 'derived';
  if (facts.creatorNonce && facts.creator && sameKey(facts.creator, facts.ownKey)) return 'derived';
  if (facts.joinedFrom === 'invite') return 'server';
  return 'unknown';
}
