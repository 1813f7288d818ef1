import { encodeBase64Url } from './base64';
import { ProtocolError } from './errors';
import { webCrypto } from './platform';

export function randomBytes(length: number): Uint8Array {
  const crypto = webCrypto();
  if (!crypto?.getRandomValues) throw new ProtocolError('invalid_argument', 'this runtime has no secure random number generator');
  return crypto.getRandomValues(new Uint8Array(length));
}

/** A fresh creator nonce (16 random bytes, unpadded URL-safe base64) for `content["dev.wayfarer.creator_nonce"]`. */
export function generateCreatorNonce(): string {
  return encodeBase64Url(randomBytes(16));
}

/** A fresh invite-key nonce (16 random bytes, unpadded URL-safe base64) for the invite-key pool (PROTOCOL.md §5). */
export function generateInviteKeyNonce(): string {
  return encodeBase64Url(randomBytes(16));
}
