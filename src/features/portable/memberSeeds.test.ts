// The member seeds a portable client sends are exactly the member keys PROTOCOL.md §2 derives from the recovery secret.
import { describe, expect, it } from 'vitest';
import {
  CREATOR_NONCE_FIELD,
  decodeBase64,
  deriveCreatorMemberKey,
  deriveMemberKey,
  deriveMemberRoot,
  generateRecoverySecret,
  keyPairFromSeed,
  MEMBER_SEED_FIELD,
} from '../../protocol';
import { createRoomSeedFields, joinSeedFields } from './memberSeeds';

describe('member seeds', () => {
  const root = deriveMemberRoot(generateRecoverySecret());

  it('join: the seed for the room ID, so the key is reproducible from the recovery key', () => {
    const fields = joinSeedFields(root, '!abc:alpha');
    const seed = decodeBase64(fields[MEMBER_SEED_FIELD]);
    expect(seed).toHaveLength(32);
    expect(keyPairFromSeed(seed).publicKey).toEqual(deriveMemberKey(root, '!abc:alpha').publicKey);
    expect(joinSeedFields(root, '!abc:alpha')).toEqual(fields);
    expect(joinSeedFields(root, '!other:alpha')[MEMBER_SEED_FIELD]).not.toBe(fields[MEMBER_SEED_FIELD]);
  });

  it('create: a fresh nonce each time and the creator key bound to it', () => {
    const first = createRoomSeedFields(root);
    const second = createRoomSeedFields(root);
    expect(first[CREATOR_NONCE_FIELD]).not.toBe(second[CREATOR_NONCE_FIELD]);
    const seed = decodeBase64(first[MEMBER_SEED_FIELD]);
    expect(keyPairFromSeed(seed).publicKey).toEqual(deriveCreatorMemberKey(root, first[CREATOR_NONCE_FIELD]).publicKey);
    expect(createRoomSeedFields(root, 'fixed')).toEqual(createRoomSeedFields(root, 'fixed'));
  });

  it('refuses what is not a room ID, with the protocol error', () => {
    expect(() => joinSeedFields(root, '#alias:alpha')).toThrow(/not a room ID/);
  });
});
