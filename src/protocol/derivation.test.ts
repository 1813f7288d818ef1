import { describe, expect, it } from 'vitest';
import { readLocalVectors } from './testing/vectors';
import {
  decodeBase64,
  deriveAccountKey,
  deriveCreatorMemberKey,
  deriveInviteMemberKey,
  deriveMemberKey,
  deriveMemberRoot,
  encodeBase64,
  encodeBase64Url,
  encodeRecoveryKey,
  generateCreatorNonce,
  memberIdFromPublicKey,
  ProtocolError,
} from './index';

type Case = {
  name: string;
  secret_hex: string;
  recovery_key: string;
  account_key: { seed_base64: string; public_key_urlsafe: string };
  member_root_base64: string;
  member_keys: { room_id: string; seed_base64: string; member_id: string }[];
  creator_member_keys: { nonce: string; seed_base64: string; member_id: string }[];
  invite_member_keys: { nonce: string; seed_base64: string; member_id: string }[];
};
// Made by vectors/generate.py (Python `cryptography`), an implementation independent of this one.
const cases = readLocalVectors<Case[]>('key-derivation.json');

describe('key derivation (PROTOCOL.md §2): committed vectors', () => {
  it('has vectors', () => expect(cases.length).toBe(3));
  for (const vector of cases) {
    it(vector.name, () => {
      const secret = new Uint8Array(Buffer.from(vector.secret_hex, 'hex'));
      expect(encodeRecoveryKey(secret)).toBe(vector.recovery_key);
      const account = deriveAccountKey(secret);
      expect(encodeBase64(account.seed)).toBe(vector.account_key.seed_base64);
      expect(encodeBase64Url(account.publicKey)).toBe(vector.account_key.public_key_urlsafe);
      const root = deriveMemberRoot(secret);
      expect(encodeBase64(root)).toBe(vector.member_root_base64);
      for (const member of vector.member_keys) {
        const pair = deriveMemberKey(root, member.room_id);
        expect(pair.seed).toEqual(decodeBase64(member.seed_base64));
        expect(memberIdFromPublicKey(pair.publicKey)).toBe(member.member_id);
      }
      for (const creator of vector.creator_member_keys) {
        const pair = deriveCreatorMemberKey(root, creator.nonce);
        expect(encodeBase64(pair.seed)).toBe(creator.seed_base64);
        expect(memberIdFromPublicKey(pair.publicKey)).toBe(creator.member_id);
      }
      expect(vector.invite_member_keys.length).toBe(2);
      for (const invited of vector.invite_member_keys) {
        const pair = deriveInviteMemberKey(root, invited.nonce);
        expect(encodeBase64(pair.seed)).toBe(invited.seed_base64);
        expect(memberIdFromPublicKey(pair.publicKey)).toBe(invited.member_id);
      }
    });
  }
});

describe('key derivation', () => {
  it('rejects wrong sizes and bad room IDs with typed errors', () => {
    expect(() => deriveAccountKey(new Uint8Array(31))).toThrow(ProtocolError);
    expect(() => deriveMemberRoot('x' as unknown as Uint8Array)).toThrow(ProtocolError);
    const root = new Uint8Array(32);
    expect(() => deriveMemberKey(root, 'room')).toThrow(ProtocolError);
    expect(() => deriveCreatorMemberKey(root, '')).toThrow(ProtocolError);
    expect(() => deriveInviteMemberKey(root, '')).toThrow(ProtocolError);
  });

  it('makes distinct random creator nonces', () => {
    const nonce = generateCreatorNonce();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(nonce).not.toBe(generateCreatorNonce());
  });
});
