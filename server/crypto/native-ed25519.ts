// Ed25519 through Node's OpenSSL. Signing: the server signs every event it makes (its own signature, and the
// member keys it holds), and noble's pure-JS signing was the largest cost of sending a message. Verifying: every
// PDU, X-Matrix request and member link is checked, synchronously here instead of through WebCrypto's promise and
// thread pool (or noble's BigInt arithmetic).
//
// What OpenSSL checks and what src/protocol checks in front of it (setEd25519Verifier), in order:
//   1. shape: a 64-byte signature, a 32-byte key, a byte-array message (src/protocol);
//   2. the key is the canonical encoding of a curve point (y < p, no "negative zero") and not of small order
//      (src/protocol, noble's strict decoding): OpenSSL accepts any R = identity, S = 0 for a small-order key;
//   3. S < L (OpenSSL);
//   4. R equals the canonical encoding of SB − kA, k = SHA-512(R ‖ A ‖ M) (OpenSSL), which also refuses a
//      non-canonical or off-curve R.
// native-ed25519-verify.test.ts proves it refuses everything noble's strict mode (zip215: false) refuses.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { setEd25519Signer, setEd25519Verifier } from '../../src/protocol';

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

// SubjectPublicKeyInfo wrapping of a raw 32-byte Ed25519 public key (RFC 8410).
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const publicKeys = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64');
  let key = publicKeys.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.delete(publicKeys.keys().next().value as string);
    publicKeys.set(id, key);
  }
  return key;
}

/**
 * OpenSSL's verdict alone, without the key checks src/protocol puts in front of it (so: laxer than noble for
 * small-order keys). Exported for the tests that prove those checks are needed; install it with
 * useNativeEd25519Verification, never call it directly on untrusted input.
 */
export function nativeVerifyUnguarded(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/** From now on `verifyBytes`/`verifyBytesSync` (every signature check through src/protocol) use Node's Ed25519. */
export function useNativeEd25519Verification(): void {
  setEd25519Verifier(nativeVerifyUnguarded);
}
