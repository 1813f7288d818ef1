import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { encodeBase64 } from './base64';
import { ProtocolError } from './errors';
import { webCrypto, type WebCryptoKey, type WebSubtleCrypto } from './platform';

// noble needs a sync SHA-512 for its sync API.
ed.hashes.sha512 = sha512;

export const SEED_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

export type KeyPair = { seed: Uint8Array; publicKey: Uint8Array };
export type Ed25519Backend = 'webcrypto' | 'noble';

export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  checkSeed(seed);
  return { seed: Uint8Array.from(seed), publicKey: ed.getPublicKey(seed) };
}

export function signBytes(message: Uint8Array, seed: Uint8Array): Uint8Array {
  checkSeed(seed);
  return signer(message, seed);
}

/**
 * Signs synchronously. Ed25519 signatures are deterministic, so any correct implementation gives the same
 * bytes: a runtime with a faster native one (the reference homeserver on Node) may install it.
 */
export type Ed25519Signer = (message: Uint8Array, seed: Uint8Array) => Uint8Array;

const nobleSigner: Ed25519Signer = (message, seed) => ed.sign(message, seed);
let signer = nobleSigner;

/** Installs a native signer; `undefined` goes back to noble. */
export function setEd25519Signer(next: Ed25519Signer | undefined): void {
  signer = next ?? nobleSigner;
}

/**
 * Verifies synchronously. A runtime with a faster native Ed25519 may install it (the reference homeserver installs
 * Node's OpenSSL: server/crypto/native-ed25519.ts). It is only ever called on a well-shaped signature and message
 * with a public key that passed `isStrictPublicKey`; it must itself refuse S ≥ L and any R that is not the
 * canonical encoding of SB − kA. Together that refuses everything noble's strict mode refuses (proven by
 * server/crypto/native-ed25519-verify.test.ts); it may refuse more (see there), never less.
 */
export type Ed25519Verifier = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

let verifier: Ed25519Verifier | undefined;

/** Installs a native verifier for verifyBytes and verifyBytesSync; `undefined` goes back to WebCrypto/noble. */
export function setEd25519Verifier(next: Ed25519Verifier | undefined): void {
  verifier = next;
}

/** The installed verifier behind the checks it relies on: shape, then a strict (canonical, not small-order) key. */
function verifyInstalled(installed: Ed25519Verifier, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!isStrictPublicKeyCached(publicKey)) return false;
  try {
    return installed(signature, message, publicKey) === true;
  } catch {
    return false;
  }
}

/** Noble (or the installed verifier), synchronous. Malformed keys or signatures verify as false rather than throwing. */
export function verifyBytesSync(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!hasShape(signature, message, publicKey)) return false;
  if (verifier) return verifyInstalled(verifier, signature, message, publicKey);
  try {
    // RFC 8032 rules, as WebCrypto applies them: both backends must agree on every signature.
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** The installed verifier if any, else WebCrypto when the runtime has Ed25519 (≈15× faster in Chromium), else noble. */
export async function verifyBytes(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  if (!hasShape(signature, message, publicKey)) return false;
  if (verifier) return verifyInstalled(verifier, signature, message, publicKey);
  if ((await ed25519Backend()) === 'noble') return verifyBytesSync(signature, message, publicKey);
  return verifyWithWebCrypto(signature, message, publicKey);
}

/** WebCrypto only; rejects when the runtime lacks it. Exposed for benchmarks and tests. */
export async function verifyWithWebCrypto(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  const subtle = webCrypto()?.subtle;
  if (!subtle) throw new ProtocolError('invalid_argument', 'this runtime has no WebCrypto');
  if (!hasShape(signature, message, publicKey)) return false;
  try {
    const key = await importVerifyKey(subtle, publicKey);
    return key !== null && (await subtle.verify('Ed25519', key, signature, message));
  } catch {
    return false; // e.g. a public key that is not a curve point
  }
}

let backendPromise: Promise<Ed25519Backend> | undefined;

export function ed25519Backend(): Promise<Ed25519Backend> {
  backendPromise ??= detectBackend();
  return backendPromise;
}

/** Forces a backend (tests, benchmarks); `undefined` re-runs detection. */
export function setEd25519Backend(backend: Ed25519Backend | undefined): void {
  backendPromise = backend === undefined ? undefined : Promise.resolve(backend);
}

// Probe with a fresh noble signature: WebCrypto must accept it and reject a flipped copy before we trust it.
const PROBE_SEED = new Uint8Array(32).fill(7);
const PROBE_MESSAGE = new Uint8Array([1, 2, 3]);

async function detectBackend(): Promise<Ed25519Backend> {
  const subtle = webCrypto()?.subtle;
  if (!subtle || typeof subtle.importKey !== 'function') return 'noble';
  try {
    const publicKey = ed.getPublicKey(PROBE_SEED);
    const signature = ed.sign(PROBE_MESSAGE, PROBE_SEED);
    const key = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    const good = await subtle.verify('Ed25519', key, signature, PROBE_MESSAGE);
    const tampered = Uint8Array.from(signature);
    tampered[0] = (tampered[0] as number) ^ 1;
    const bad = await subtle.verify('Ed25519', key, tampered, PROBE_MESSAGE);
    return good && !bad ? 'webcrypto' : 'noble';
  } catch {
    return 'noble';
  }
}

// Importing a key costs about as much as a verification; members sign many events with one key.
const importedKeys = new Map<string, Promise<WebCryptoKey | null>>();
const MAX_CACHED_KEYS = 4096;

/** Null for keys no signature may verify against (see isStrictPublicKey). */
function importVerifyKey(subtle: WebSubtleCrypto, publicKey: Uint8Array): Promise<WebCryptoKey | null> {
  const id = encodeBase64(publicKey);
  const cached = importedKeys.get(id);
  if (cached) return cached;
  if (importedKeys.size >= MAX_CACHED_KEYS) importedKeys.delete(importedKeys.keys().next().value as string);
  const key = isStrictPublicKey(publicKey)
    ? subtle.importKey('raw', Uint8Array.from(publicKey), { name: 'Ed25519' }, false, ['verify'])
    : Promise.resolve(null);
  key.catch(() => importedKeys.delete(id));
  importedKeys.set(id, key);
  return key;
}

/**
 * OpenSSL (Node's WebCrypto) accepts any signature R = identity, S = 0 for a small-order public key such as
 * 0x01 00…00, so anyone could "sign" as such a key. noble's strict mode refuses those keys; apply the same rule
 * before WebCrypto so that both backends agree on every signature.
 */
export function isStrictPublicKey(publicKey: Uint8Array): boolean {
  try {
    return !ed.Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    return false; // not a canonical encoding of a curve point
  }
}

// Decoding a key (a square root mod p) costs about as much as a verification: members sign many events with one key.
const strictKeys = new Map<string, boolean>();

function isStrictPublicKeyCached(publicKey: Uint8Array): boolean {
  const id = encodeBase64(publicKey);
  let strict = strictKeys.get(id);
  if (strict === undefined) {
    strict = isStrictPublicKey(publicKey);
    if (strictKeys.size >= MAX_CACHED_KEYS) strictKeys.delete(strictKeys.keys().next().value as string);
    strictKeys.set(id, strict);
  }
  return strict;
}

function hasShape(signature: unknown, message: unknown, publicKey: unknown): boolean {
  return (
    signature instanceof Uint8Array &&
    signature.length === SIGNATURE_LENGTH &&
    message instanceof Uint8Array &&
    publicKey instanceof Uint8Array &&
    publicKey.length === 32
  );
}

function checkSeed(seed: unknown): asserts seed is Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_LENGTH) {
    throw new ProtocolError('invalid_seed', `an Ed25519 seed is ${SEED_LENGTH} bytes`);
  }
}
