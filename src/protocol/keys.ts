import { decodeBase64, encodeBase64, encodeBase64Url } from './base64';
import { ProtocolError } from './errors';

export const PUBLIC_KEY_LENGTH = 32;

/** Public key bytes from a key in any of its wire forms: `@`-prefixed member ID or bare key, either alphabet, padded or not. */
export function decodePublicKey(keyOrMemberId: string): Uint8Array {
  if (typeof keyOrMemberId !== 'string') throw new ProtocolError('invalid_key', 'a key must be a string');
  const text = keyOrMemberId.startsWith('@') ? keyOrMemberId.slice(1) : keyOrMemberId;
  if (text.includes(':')) throw new ProtocolError('invalid_key', `${JSON.stringify(keyOrMemberId)} is a user ID, not a member key`);
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(text);
  } catch (error) {
    throw new ProtocolError('invalid_key', `${JSON.stringify(shorten(keyOrMemberId))} is not a key: ${(error as Error).message}`);
  }
  if (bytes.length !== PUBLIC_KEY_LENGTH) {
    throw new ProtocolError(
      'invalid_key',
      `a key has ${PUBLIC_KEY_LENGTH} bytes, ${JSON.stringify(shorten(keyOrMemberId))} has ${bytes.length}`,
    );
  }
  return bytes;
}

/** One form for comparing and grouping keys: unpadded URL-safe base64 of the 32 bytes, without `@`. */
export function normaliseKey(keyOrMemberId: string): string {
  return encodeBase64Url(decodePublicKey(keyOrMemberId));
}

/** True when the text is a member key in any accepted form (never throws). */
export function isMemberKey(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  try {
    decodePublicKey(text);
    return true;
  } catch {
    return false;
  }
}

export function memberIdFromPublicKey(publicKey: Uint8Array): string {
  checkPublicKey(publicKey);
  return `@${encodeBase64Url(publicKey)}`;
}

export function publicKeyFromMemberId(memberId: string): Uint8Array {
  if (typeof memberId !== 'string' || !memberId.startsWith('@')) {
    throw new ProtocolError('invalid_key', `a member ID starts with "@": ${JSON.stringify(shorten(String(memberId)))}`);
  }
  return decodePublicKey(memberId);
}

/** `sender_key` form (MSC4014): unpadded standard base64. */
export function senderKeyFromPublicKey(publicKey: Uint8Array): string {
  checkPublicKey(publicKey);
  return encodeBase64(publicKey);
}

function checkPublicKey(publicKey: Uint8Array): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new ProtocolError('invalid_key', `a public key is ${PUBLIC_KEY_LENGTH} bytes`);
  }
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
