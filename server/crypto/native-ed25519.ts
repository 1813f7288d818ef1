// Ed25519 signing through Node's OpenSSL: the server signs every event it makes (its own signature, and
// the member keys it holds), and noble's pure-JS signing was the largest cost of sending a message.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { setEd25519Signer } from '../../src/protocol';

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): Node imports private keys in this form.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
// One key object per seed: importing costs about as much as signing. The server's own key and the member
// keys of active users repeat; a bound keeps a server of many users from holding them all.
const MAX_CACHED_KEYS = 4096;
const keys = new Map<string, KeyObject>();

function privateKey(seed: Uint8Array): KeyObject {
  const id = Buffer.from(seed.buffer, seed.byteOffset, seed.byteLength).toString('base64');
  let key = keys.get(id);
  if (!key) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value as string);
    keys.set(id, key);
  }
  return key;
}

export function nativeSign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  const signature = sign(null, message, privateKey(seed));
  return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength);
}

/** From now on `signBytes` (and everything that signs through src/protocol) uses Node's Ed25519. */
export function useNativeEd25519Signing(): void {
  setEd25519Signer(nativeSign);
}
