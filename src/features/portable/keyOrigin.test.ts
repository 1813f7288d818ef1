import { describe, expect, it } from 'vitest';
import {
  deriveCreatorMemberKey,
  deriveInviteMemberKey,
  deriveMemberKey,
  deriveMemberRoot,
  generateRecoverySecret,
  memberIdFromPublicKey,
  senderKeyFromPublicKey,
} from '../../protocol';
import { memberKeyOrigin } from './keyOrigin';

const root = deriveMemberRoot(generateRecoverySecret());
const roomId = '!K3DOWWLmkHLl52yJ-vT8J5jX5wuYZati_KvC6PliIPE';
const id = (pair: { publicKey: Uint8Array }) => memberIdFromPublicKey(pair.publicKey);
const serverMade = id(deriveMemberKey(deriveMemberRoot(generateRecoverySecret()), roomId));

describe('memberKeyOrigin (PROTOCOL.md §5)', () => {
  it('with K: each derivation (room ID, creator nonce, invite nonce) is recognised, in either key form; a server-made key is not', () => {
    expect(memberKeyOrigin({ roomId, ownKey: id(deriveMemberKey(root, roomId)) }, root)).toBe('derived');
    const creator = deriveCreatorMemberKey(root, 'c-nonce');
    expect(memberKeyOrigin({ roomId, ownKey: senderKeyFromPublicKey(creator.publicKey), creatorNonce: 'c-nonce' }, root)).toBe('derived');
    const invited = deriveInviteMemberKey(root, 'i-nonce-0000000000');
    expect(memberKeyOrigin({ roomId, ownKey: id(invited), keyNonce: 'i-nonce-0000000000', joinedFrom: 'invite' }, root)).toBe('derived');
    expect(memberKeyOrigin({ roomId, ownKey: serverMade, joinedFrom: 'invite' }, root)).toBe('server');
    // A nonce that does not make this key is not believed.
    expect(memberKeyOrigin({ roomId, ownKey: serverMade, keyNonce: 'i-nonce-0000000000' }, root)).toBe('server');
  });

  it('without K: from room state alone', () => {
    expect(memberKeyOrigin({ roomId, ownKey: serverMade, keyNonce: 'n' })).toBe('derived');
    expect(memberKeyOrigin({ roomId, ownKey: serverMade, creator: serverMade, creatorNonce: 'c' })).toBe('derived');
    expect(memberKeyOrigin({ roomId, ownKey: serverMade, joinedFrom: 'invite' })).toBe('server');
    expect(memberKeyOrigin({ roomId, ownKey: serverMade, joinedFrom: 'leave' })).toBe('unknown');
    expect(memberKeyOrigin({ roomId, ownKey: serverMade })).toBe('unknown');
  });
});
