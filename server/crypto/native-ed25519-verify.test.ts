// Node's native Ed25519 verification (OpenSSL), behind the checks src/protocol puts in front of it, refuses
// everything noble's strict mode (zip215: false) refuses: the spec's vectors, the known small-order points,
// non-canonical S, R and A encodings, malformed lengths, and a fast-check property over random and mutated
// signatures, keys and messages. It may refuse more, in one known case only: an R with a small-order component
// (noble checks the cofactored equation, OpenSSL and libsodium the cofactorless one); honest signers never make one.
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  decodeBase64,
  decodePublicKey,
  keyPairFromSeed,
  setEd25519Verifier,
  signBytes,
  signedJsonBytes,
  verifyBytes,
  verifyBytesSync,
} from '../../src/protocol';
import { readLocalVectors, readSharedVectors } from '../../src/protocol/testing/vectors';
import { nativeVerifyUnguarded, useNativeEd25519Verification } from './native-ed25519';

ed.hashes.sha512 = sha512;
const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const noble = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => {
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
};
/** The verdict the server now uses: src/protocol's checks, then OpenSSL. */
const native = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => verifyBytesSync(signature, message, publicKey);

beforeEach(() => useNativeEd25519Verification());
afterEach(() => setEd25519Verifier(undefined));

const le = (n: bigint, length = 32) => {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return bytes;
};
const fromLe = (bytes: Uint8Array) => bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);
const withS = (signature: Uint8Array, s: bigint) => Uint8Array.from([...signature.subarray(0, 32), ...le(s)]);
const withR = (signature: Uint8Array, r: Uint8Array) => Uint8Array.from([...r, ...signature.subarray(32)]);

/** The eight points of small order (canonical encodings), from an order-8 point's multiples. */
const ORDER_8 = ed.Point.fromBytes(Uint8Array.from(Buffer.from('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', 'hex')));
const SMALL_ORDER = [ed.Point.ZERO, ...Array.from({ length: 7 }, (_, i) => ORDER_8.multiply(BigInt(i + 1)))].map((p) => p.toBytes());
/** Every encoding with y < 19 or y ≥ p (the only ones with a non-canonical twin), with either sign bit. */
const EDGE_ENCODINGS = [...Array.from({ length: 19 }, (_, i) => BigInt(i)), ...Array.from({ length: 19 }, (_, i) => P + BigInt(i))].flatMap(
  (y) => {
    const bytes = le(y);
    const negative = Uint8Array.from(bytes);
    negative[31] = negative[31]! | 0x80;
    return [bytes, negative];
  },
);

function keyPair(seedByte: number) {
  return keyPairFromSeed(new Uint8Array(32).fill(seedByte));
}

describe("the spec's vectors", () => {
  interface SharedVector {
    name: string;
    kind?: string;
    input: Record<string, unknown>;
    key?: { server_name: string; key_id: string; seed_base64: string };
    expected: { signatures?: Record<string, Record<string, string>> };
    derived?: { signed_bytes_canonical_json?: string; redacted_signed_bytes_canonical_json?: string };
  }
  interface LocalVectors {
    server_key: { server_name: string; key_id: string; public_key_base64: string };
    cases: Array<{
      name: string;
      signer: string;
      key_id: string;
      redacted: Record<string, unknown>;
      signed: { signatures: Record<string, Record<string, string>> };
    }>;
  }

  /** (signature, message, key) triples that must verify. */
  function vectors(): Array<{ name: string; signature: Uint8Array; message: Uint8Array; publicKey: Uint8Array }> {
    const out = [];
    for (const v of readSharedVectors<SharedVector[]>('signing.json')) {
      if (!v.key || (v.kind !== 'json-signing' && v.kind !== 'event-signing')) continue;
      const bytes = v.derived?.signed_bytes_canonical_json ?? v.derived?.redacted_signed_bytes_canonical_json;
      out.push({
        name: v.name,
        signature: decodeBase64(v.expected.signatures![v.key.server_name]![v.key.key_id]!),
        message: new TextEncoder().encode(bytes!),
        publicKey: keyPairFromSeed(decodeBase64(v.key.seed_base64)).publicKey,
      });
    }
    const local = readLocalVectors<LocalVectors>('events.json');
    for (const c of local.cases) {
      out.push({
        name: `events.json ${c.name} (${c.signer})`,
        signature: decodeBase64(c.signed.signatures[c.signer]![c.key_id]!),
        message: signedJsonBytes(c.redacted),
        publicKey: c.signer === local.server_key.server_name ? decodeBase64(local.server_key.public_key_base64) : decodePublicKey(c.signer),
      });
    }
    return out;
  }

  it('verify natively, as with noble, and every single-bit change of signature, key or message is refused by both', () => {
    const all = vectors();
    expect(all.length).toBeGreaterThanOrEqual(14);
    for (const { name, signature, message, publicKey } of all) {
      expect(noble(signature, message, publicKey), name).toBe(true);
      expect(native(signature, message, publicKey), name).toBe(true);
      const flips: Array<[Uint8Array, Uint8Array, Uint8Array]> = [];
      for (let bit = 0; bit < 512; bit += 7) {
        const s = Uint8Array.from(signature);
        s[bit >> 3] = s[bit >> 3]! ^ (1 << (bit & 7));
        flips.push([s, message, publicKey]);
      }
      for (let bit = 0; bit < 256; bit += 5) {
        const k = Uint8Array.from(publicKey);
        k[bit >> 3] = k[bit >> 3]! ^ (1 << (bit & 7));
        flips.push([signature, message, k]);
      }
      const m = Uint8Array.from(message);
      m[0] = m[0]! ^ 1;
      flips.push([signature, m, publicKey]);
      for (const [s, msg, k] of flips) {
        expect(native(s, msg, k), name).toBe(false);
        expect(noble(s, msg, k), name).toBe(false);
      }
    }
  });

  it('the async path (verifyBytes) uses the same verdicts', async () => {
    for (const { name, signature, message, publicKey } of vectors()) {
      expect(await verifyBytes(signature, message, publicKey), name).toBe(true);
      expect(await verifyBytes(withS(signature, fromLe(signature.subarray(32)) + L), message, publicKey), name).toBe(false);
    }
  });
});

describe('what noble strict refuses, native refuses', () => {
  const message = new TextEncoder().encode('a message');
  const honest = keyPair(3);
  const signature = signBytes(message, honest.seed);

  it('small-order public keys: OpenSSL alone accepts R = identity, S = 0 for one; the key check in front refuses them all', () => {
    const identity = le(1n);
    const forgery = Uint8Array.from([...identity, ...new Uint8Array(32)]);
    expect(nativeVerifyUnguarded(forgery, message, identity)).toBe(true); // why the check is needed
    for (const key of [...SMALL_ORDER, ...EDGE_ENCODINGS]) {
      for (const r of [...SMALL_ORDER, signature.subarray(0, 32)]) {
        for (const s of [0n, 1n, fromLe(signature.subarray(32))]) {
          const candidate = Uint8Array.from([...r, ...le(s)]);
          expect(noble(candidate, message, key)).toBe(false);
          expect(native(candidate, message, key)).toBe(false);
        }
      }
    }
  });

  it('non-canonical S (S + L, S + 2L, …, S = L, S = 2^256 − 1)', () => {
    const s = fromLe(signature.subarray(32));
    for (const bad of [s + L, s + 2n * L, s + 15n * L, L, 2n ** 256n - 1n].filter((x) => x < 2n ** 256n)) {
      expect(noble(withS(signature, bad), message, honest.publicKey)).toBe(false);
      expect(nativeVerifyUnguarded(withS(signature, bad), message, honest.publicKey)).toBe(false);
      expect(native(withS(signature, bad), message, honest.publicKey)).toBe(false);
    }
  });

  it('non-canonical or off-curve R, and non-canonical or off-curve A', () => {
    for (const r of EDGE_ENCODINGS) {
      expect(noble(withR(signature, r), message, honest.publicKey)).toBe(false);
      expect(native(withR(signature, r), message, honest.publicKey)).toBe(false);
    }
    // An honest key's encoding with the sign bit flipped is the negated point: a different key.
    const negated = Uint8Array.from(honest.publicKey);
    negated[31] = negated[31]! ^ 0x80;
    expect(noble(signature, message, negated)).toBe(false);
    expect(native(signature, message, negated)).toBe(false);
  });

  it('malformed lengths and types verify as false without throwing', () => {
    const cases: Array<[unknown, unknown, unknown]> = [
      [signature.subarray(0, 63), message, honest.publicKey],
      [Uint8Array.from([...signature, 0]), message, honest.publicKey],
      [signature, message, honest.publicKey.subarray(0, 31)],
      [signature, message, Uint8Array.from([...honest.publicKey, 0])],
      [new Uint8Array(0), message, honest.publicKey],
      [signature, message, new Uint8Array(0)],
      ['not bytes', message, honest.publicKey],
      [signature, 'not bytes', honest.publicKey],
      [signature, message, null],
    ];
    for (const [s, m, k] of cases) {
      expect(native(s as Uint8Array, m as Uint8Array, k as Uint8Array)).toBe(false);
      expect(noble(s as Uint8Array, m as Uint8Array, k as Uint8Array)).toBe(false);
    }
  });

  it('the one difference: an R with a small-order component passes noble (cofactored) and is refused natively (cofactorless)', () => {
    // S = r + k·a with R = rB + T, T of order 8: [8](SB − kA − R) = 0, but SB − kA ≠ R.
    const { scalar, pointBytes } = ed.utils.getExtendedPublicKey(honest.seed);
    const r = 123456789n;
    const R = ed.Point.BASE.multiply(r).add(ed.Point.fromBytes(SMALL_ORDER[3]!)).toBytes();
    const k = fromLe(sha512(Uint8Array.from([...R, ...pointBytes, ...message]))) % L;
    const mixed = Uint8Array.from([...R, ...le((r + k * scalar) % L)]);
    expect(noble(mixed, message, honest.publicKey)).toBe(true);
    expect(native(mixed, message, honest.publicKey)).toBe(false);
  });
});

describe('native never accepts what noble strict refuses (property)', () => {
  const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const message = fc.uint8Array({ maxLength: 200 });
  type Mutation = (signature: Uint8Array, publicKey: Uint8Array, message: Uint8Array) => [Uint8Array, Uint8Array, Uint8Array];
  const flip = (bytes: Uint8Array, bit: number) => {
    const out = Uint8Array.from(bytes);
    out[(bit >> 3) % out.length] = out[(bit >> 3) % out.length]! ^ (1 << (bit & 7));
    return out;
  };
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.constant<Mutation>((s, k, m) => [s, k, m]),
    fc.nat(511).map<Mutation>((bit) => (s, k, m) => [flip(s, bit), k, m]),
    fc.nat(255).map<Mutation>((bit) => (s, k, m) => [s, flip(k, bit), m]),
    fc.nat(2000).map<Mutation>((bit) => (s, k, m) => [s, k, m.length ? flip(m, bit) : Uint8Array.of(1)]),
    fc
      .integer({ min: 1, max: 15 })
      .map<Mutation>((n) => (s, k, m) => [withS(s, (fromLe(s.subarray(32)) + BigInt(n) * L) % 2n ** 256n), k, m]),
    fc
      .nat(SMALL_ORDER.length + EDGE_ENCODINGS.length - 1)
      .map<Mutation>((i) => (s, _k, m) => [s, [...SMALL_ORDER, ...EDGE_ENCODINGS][i]!, m]),
    fc
      .nat(SMALL_ORDER.length + EDGE_ENCODINGS.length - 1)
      .map<Mutation>((i) => (s, k, m) => [withR(s, [...SMALL_ORDER, ...EDGE_ENCODINGS][i]!), k, m]),
    // The classic forgery for a small-order key: R a small-order point, S = 0.
    fc.tuple(fc.nat(SMALL_ORDER.length - 1), fc.nat(SMALL_ORDER.length - 1)).map<Mutation>(([i, j]) => (_s, _k, m) => [
      Uint8Array.from([...SMALL_ORDER[j]!, ...new Uint8Array(32)]),
      SMALL_ORDER[i]!,
      m,
    ]),
    fc.uint8Array({ minLength: 64, maxLength: 64 }).map<Mutation>((random) => (_s, k, m) => [random, k, m]),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map<Mutation>((random) => (s, _k, m) => [s, random, m]),
    // R plus a small-order point (the S of an honest signature then still satisfies the cofactored equation).
    fc.nat(SMALL_ORDER.length - 1).map<Mutation>((i) => (s, k, m) => {
      try {
        return [withR(s, ed.Point.fromBytes(s.subarray(0, 32)).add(ed.Point.fromBytes(SMALL_ORDER[i]!)).toBytes()), k, m];
      } catch {
        return [s, k, m]; // R is not a point any more (an earlier mutation)
      }
    }),
  );

  it('agrees with noble, except that it refuses an R with a small-order component', () => {
    fc.assert(
      fc.property(seed, message, fc.array(mutation, { minLength: 1, maxLength: 3 }), (seedBytes, msg, mutations) => {
        const pair = keyPairFromSeed(seedBytes);
        let triple: [Uint8Array, Uint8Array, Uint8Array] = [signBytes(msg, seedBytes), pair.publicKey, msg];
        for (const mutate of mutations) triple = mutate(...triple);
        const [s, k, m] = triple;
        const byNoble = noble(s, m, k);
        const byNative = native(s, m, k);
        if (byNative) expect(byNoble).toBe(true);
        if (byNoble && !byNative) expect(ed.Point.fromBytes(s.subarray(0, 32)).isTorsionFree()).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});
