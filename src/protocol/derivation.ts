import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keyPairFromSeed, type KeyPair } from './ed25519';
import { ProtocolError } from './errors';
import { RECOVERY_SECRET_LENGTH } from './recovery-key';

// PROTOCOL.md §2: every key comes from the recovery secret S by HKDF-SHA-256 with an empty salt.
const ACCOUNT_KEY_INFO = 'dev.wayfarer/account-key/v1';
const MEMBER_ROOT_INFO = 'dev.wayfarer/member-root/v1';
const MEMBER_KEY_INFO = 'dev.wayfarer/member-key/v1/';
const CREATOR_MEMBER_KEY_INFO = 'dev.wayfarer/member-key/v1/create/';
const INVITE_MEMBER_KEY_INFO = 'dev.wayfarer/member-key/v1/invite/';

const textEncoder = new TextEncoder();

function derive(ikm: Uint8Array, info: string): Uint8Array {
  return hkdf(sha256, ikm, new Uint8Array(0), textEncoder.encode(info), 32);
}

function checkSecret(secret: Uint8Array, what: string): void {
  if (!(secret instanceof Uint8Array) || secret.length !== RECOVERY_SECRET_LENGTH) {
    throw new ProtocolError('invalid_argument', `${what} is ${RECOVERY_SECRET_LENGTH} bytes`);
  }
}

/** Account key A: proves the recovery key to a homeserver (login, register). */
export function deriveAccountKey(secret: Uint8Array): KeyPair {
  checkSecret(secret, 'a recovery secret');
  return keyPairFromSeed(derive(secret, ACCOUNT_KEY_INFO));
}

/** Member-key root K: can make member keys, cannot log in; may be kept on a device. */
export function deriveMemberRoot(secret: Uint8Array): Uint8Array {
  checkSecret(secret, 'a recovery secret');
  return derive(secret, MEMBER_ROOT_INFO);
}

/** Member key M_R for a room the user joins. */
export function deriveMemberKey(memberRoot: Uint8Array, roomId: string): KeyPair {
  checkSecret(memberRoot, 'a member-key root');
  if (typeof roomId !== 'string' || !roomId.startsWith('!'))
    throw new ProtocolError('invalid_argument', `not a room ID: ${JSON.stringify(roomId)}`);
  return keyPairFromSeed(derive(memberRoot, MEMBER_KEY_INFO + roomId));
}

/** The creator's member key, which sits inside the create event and so depends on a nonce, not the room ID. */
export function deriveCreatorMemberKey(memberRoot: Uint8Array, nonce: string): KeyPair {
  checkSecret(memberRoot, 'a member-key root');
  if (typeof nonce !== 'string' || nonce.length === 0) throw new ProtocolError('invalid_argument', 'a creator nonce is a non-empty string');
  return keyPairFromSeed(derive(memberRoot, CREATOR_MEMBER_KEY_INFO + nonce));
}

/**
 * A key of the invite-key pool (PROTOCOL.md §5): its public half waits on the homeserver until an invite needs a
 * member key; the room then names the nonce (`dev.wayfarer.key_nonce`), so K and room state re-derive it.
 */
export function deriveInviteMemberKey(memberRoot: Uint8Array, nonce: string): KeyPair {
  checkSecret(memberRoot, 'a member-key root');
  if (typeof nonce !== 'string' || nonce.length === 0)
    throw new ProtocolError('invalid_argument', 'an invite-key nonce is a non-empty string');
  return keyPairFromSeed(derive(memberRoot, INVITE_MEMBER_KEY_INFO + nonce));
}
