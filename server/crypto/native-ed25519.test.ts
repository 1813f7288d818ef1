import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBase64, setEd25519Signer, signBytes, signJson } from '../../src/protocol';
import { readSharedVectors } from '../../src/protocol/testing/vectors';
import { nativeSign, useNativeEd25519Signing } from './native-ed25519';

interface SigningVector {
  name: string;
  kind?: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
  key?: { server_name: string; key_id: string };
}

afterEach(() => setEd25519Signer(undefined));

describe("Node's native Ed25519 signing", () => {
  it('gives the same bytes as noble for any seed and message (Ed25519 is deterministic)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 600 }), (seed, message) => {
        setEd25519Signer(undefined);
        const noble = signBytes(message, seed);
        expect(nativeSign(message, seed)).toEqual(noble);
      }),
      { numRuns: 300 },
    );
  });

  it("signs the spec's JSON vectors once installed", () => {
    const vectors = readSharedVectors<SigningVector[]>('signing.json');
    const seed = decodeBase64((vectors.find((v) => v.name === 'signing-key-from-seed')!.input as { seed_base64: string }).seed_base64);
    const jsonVectors = vectors.filter((v) => v.kind === 'json-signing');
    expect(jsonVectors.length).toBeGreaterThan(0);
    useNativeEd25519Signing();
    for (const vector of jsonVectors) {
      expect(signJson(vector.input, vector.key!.server_name, vector.key!.key_id, seed)).toEqual(vector.expected);
    }
  });

  it('still refuses a seed of the wrong length through signBytes', () => {
    useNativeEd25519Signing();
    expect(() => signBytes(new Uint8Array([1, 2, 3]), new Uint8Array(31))).toThrow();
  });
});
