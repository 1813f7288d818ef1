import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSharedVectors } from './testing/vectors';
import {
  decodeBase64,
  ed25519Backend,
  encodeBase64,
  keyPairFromSeed,
  ProtocolError,
  signBytes,
  signedJsonBytes,
  signJson,
  verifyBytes,
  verifyBytesSync,
  verifyJsonSignature,
  verifyJsonSignatureSync,
  verifyWithWebCrypto,
  isStrictPublicKey,
} from './index';

type SigningVector = {
  name: string;
  kind?: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
  key?: { seed_base64: string; server_name: string; key_id: string };
  derived?: { signed_bytes_canonical_json?: string };
};
const vectors = readSharedVectors<SigningVector[]>('signing.json');
const keyVector = vectors.find((v) => v.name === 'signing-key-from-seed')!;
const seed = decodeBase64((keyVector.input as { seed_base64: string }).seed_base64);
const keyPair = keyPairFromSeed(seed);

describe('Ed25519 and JSON signing: spec vectors', () => {
  it('derives the public key from the spec seed', () => {
    expect(encodeBase64(keyPair.publicKey)).toBe((keyVector.expected as { public_key_base64: string }).public_key_base64);
  });

  const jsonVectors = vectors.filter((v) => v.kind === 'json-signing');
  it('has JSON-signing vectors', () => expect(jsonVectors.length).toBe(2));
  for (const vector of jsonVectors) {
    it(vector.name, async () => {
      const { server_name, key_id } = vector.key!;
      const signed = signJson(vector.input, server_name, key_id, seed);
      expect(signed).toEqual(vector.expected);
      expect(new TextDecoder().decode(signedJsonBytes(signed))).toBe(vector.derived!.signed_bytes_canonical_json);
      expect(await verifyJsonSignature(vector.expected, server_name, key_id, keyPair.publicKey)).toBe(true);
      expect(verifyJsonSignatureSync(vector.expected, server_name, key_id, keyPair.publicKey)).toBe(true);
    });
  }
});

describe('JSON signing', () => {
  it('keeps existing signatures and ignores unsigned', async () => {
    const other = keyPairFromSeed(new Uint8Array(32).fill(9));
    const once = signJson({ a: 1, unsigned: { age: 5 } }, 'one', 'ed25519:a', seed);
    const twice = signJson({ ...once, unsigned: { age: 99 } }, 'two', 'ed25519:b', other.seed);
    expect(Object.keys(twice.signatures).sort()).toEqual(['one', 'two']);
    expect(await verifyJsonSignature(twice, 'one', 'ed25519:a', keyPair.publicKey)).toBe(true);
    expect(await verifyJsonSignature(twice, 'two', 'ed25519:b', other.publicKey)).toBe(true);
    expect(await verifyJsonSignature(twice, 'two', 'ed25519:b', keyPair.publicKey)).toBe(false);
    expect(await verifyJsonSignature(twice, 'three', 'ed25519:b', other.publicKey)).toBe(false);
  });

  it('returns false, never throws, for malformed signed objects', async () => {
    const cases: unknown[] = [
      null,
      42,
      'x',
      [],
      {},
      { signatures: 'x' },
      { signatures: { s: { k: 5 } } },
      { signatures: { s: { k: '!!!' } } },
      { a: 1.5, signatures: { s: { k: 'AAAA' } } },
    ];
    for (const value of cases) {
      expect(await verifyJsonSignature(value, 's', 'k', keyPair.publicKey)).toBe(false);
    }
  });

  it('refuses to sign non-objects and bad seeds with typed errors', () => {
    expect(() => signJson([] as unknown as object, 's', 'k', seed)).toThrow(ProtocolError);
    expect(() => signJson({ a: 0.5 }, 's', 'k', seed)).toThrow(ProtocolError);
    expect(() => signJson({}, 's', 'k', new Uint8Array(31))).toThrow(ProtocolError);
  });

  it('sign then verify holds, and any flipped byte of the signed bytes breaks it (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
        fc.nat(),
        async (s, content, at) => {
          const pair = keyPairFromSeed(s);
          const signed = signJson({ content }, 'signer', 'ed25519:1', s);
          expect(await verifyJsonSignature(signed, 'signer', 'ed25519:1', pair.publicKey)).toBe(true);
          const message = signedJsonBytes(signed);
          const signature = decodeBase64(signed.signatures.signer!['ed25519:1']!);
          const flipped = Uint8Array.from(message);
          flipped[at % flipped.length]! ^= 0x01;
          expect(verifyBytesSync(signature, flipped, pair.publicKey)).toBe(false);
          expect(await verifyBytes(signature, flipped, pair.publicKey)).toBe(false);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('Ed25519 backends', () => {
  it('uses WebCrypto in Node 20 and agrees with noble', async () => {
    expect(await ed25519Backend()).toBe('webcrypto');
    const message = new TextEncoder().encode('hello');
    const signature = signBytes(message, seed);
    expect(await verifyWithWebCrypto(signature, message, keyPair.publicKey)).toBe(true);
    expect(verifyBytesSync(signature, message, keyPair.publicKey)).toBe(true);
    const bad = Uint8Array.from(signature);
    bad[10]! ^= 4;
    expect(await verifyWithWebCrypto(bad, message, keyPair.publicKey)).toBe(false);
    expect(verifyBytesSync(bad, message, keyPair.publicKey)).toBe(false);
    expect(await verifyBytes(signature.slice(1), message, keyPair.publicKey)).toBe(false);
  });

  it('agree on edge cases: small-order keys and non-canonical S are refused by both', async () => {
    const message = new TextEncoder().encode('any message at all');
    const identityKey = new Uint8Array(32);
    identityKey[0] = 1; // the neutral point: OpenSSL alone would accept R = identity, S = 0 for it
    const forgery = new Uint8Array(64);
    forgery[0] = 1;
    expect(isStrictPublicKey(identityKey)).toBe(false);
    expect(isStrictPublicKey(keyPair.publicKey)).toBe(true);
    expect(verifyBytesSync(forgery, message, identityKey)).toBe(false);
    expect(await verifyWithWebCrypto(forgery, message, identityKey)).toBe(false);
    // S + L (the group order) is the same scalar, written non-canonically: RFC 8032 refuses it.
    const signature = signBytes(message, seed);
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let scalar = 0n;
    for (let i = 63; i >= 32; i--) scalar = (scalar << 8n) | BigInt(signature[i]!);
    let bumped = scalar + L;
    const malleated = Uint8Array.from(signature);
    for (let i = 32; i < 64; i++, bumped >>= 8n) malleated[i] = Number(bumped & 0xffn);
    expect(verifyBytesSync(malleated, message, keyPair.publicKey)).toBe(false);
    expect(await verifyWithWebCrypto(malleated, message, keyPair.publicKey)).toBe(false);
  });
});
