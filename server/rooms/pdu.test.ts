// sealPdu makes its signatures and event ID in one pass (one canonical form of the redacted event, Node's SHA-256):
// whatever the event, the PDU and ID are exactly those the spec's steps give one by one (src/protocol's signEvent for
// each signer, then computeEventId), and the signatures verify.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBase64, keyPairFromSeed, MEMBER_KEY_ID, memberIdFromPublicKey, verifyEventSignatureSync } from '../../src/protocol';
import { useNativeEd25519Signing } from '../crypto/native-ed25519';
import type { SigningKey } from '../signing-key';
import { sealPdu, sealStepByStep, type Pdu } from './pdu';

const SERVER = 'alpha.localhost:8481';
const serverSeed = new Uint8Array(32).fill(7);
const serverPair = keyPairFromSeed(serverSeed);
const serverKey: SigningKey = { ...serverPair, keyId: 'ed25519:a_1', publicKeyBase64: encodeBase64(serverPair.publicKey) };
const memberSeed = new Uint8Array(32).fill(9);
const memberId = memberIdFromPublicKey(keyPairFromSeed(memberSeed).publicKey);

// Canonical JSON has no floats: integers in the interoperable range, strings (any code points), and nesting.
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }),
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(fc.string(), tie('json'), { maxKeys: 3 }),
  ),
}));
const draft = fc.record({
  type: fc.constantFrom('m.room.message', 'm.room.member', 'm.room.redaction', 'm.room.power_levels', 'm.reaction', 'x.custom'),
  stateKey: fc.option(fc.string(), { nil: undefined }),
  content: fc.dictionary(fc.string(), json, { maxKeys: 6 }),
  domain: fc.constantFrom(undefined, SERVER, 'beta.localhost'),
  membership: fc.constantFrom(undefined, 'join', 'invite', 'leave'),
  ts: fc.integer({ min: 0, max: 2 ** 52 }),
  depth: fc.integer({ min: 1, max: 2 ** 40 }),
  prevs: fc.array(
    fc.string({ minLength: 1 }).map((s) => `$${s}`),
    { maxLength: 3 },
  ),
});

type Draft = typeof draft extends fc.Arbitrary<infer T> ? T : never;
function unsealedFrom(d: Draft, version: string, sender: string): Pdu {
  const content: Record<string, unknown> = { ...d.content };
  if (d.domain !== undefined) content.domain = d.domain;
  if (d.membership !== undefined) content.membership = d.membership;
  return {
    type: d.type,
    ...(version === '11' ? { room_id: '!room:alpha.localhost' } : { room_id: '!abc' }),
    sender,
    ...(d.stateKey !== undefined ? { state_key: d.stateKey } : {}),
    content,
    origin_server_ts: d.ts,
    depth: d.depth,
    prev_events: d.prevs,
    auth_events: d.prevs.slice(0, 1),
  };
}

describe('sealPdu', () => {
  it("gives the PDU and event ID of the spec's steps, for any event, in classic and member-key rooms", () => {
    useNativeEd25519Signing();
    fc.assert(
      fc.property(draft, fc.constantFrom('3', '11', 'org.matrix.12.4430'), (d, version) => {
        const memberKeys = version === 'org.matrix.12.4430';
        const unsealed = unsealedFrom(d, version, memberKeys ? memberId : `@alice:${SERVER}`);
        const sealed = sealPdu(unsealed, version, SERVER, serverKey, memberKeys ? memberSeed : undefined);
        const signers = memberKeys
          ? [
              { signer: memberId, keyId: MEMBER_KEY_ID, seed: memberSeed },
              ...(unsealed.type === 'm.room.member' && unsealed.content.domain === SERVER
                ? [{ signer: SERVER, keyId: serverKey.keyId, seed: serverSeed }]
                : []),
            ]
          : [{ signer: SERVER, keyId: serverKey.keyId, seed: serverSeed }];
        const expected = sealStepByStep(unsealed, version, signers);
        expect(sealed.eventId).toBe(expected.eventId);
        expect(JSON.stringify(sealed.pdu)).toBe(JSON.stringify(expected.pdu));
        for (const { signer, keyId, seed } of signers)
          expect(verifyEventSignatureSync(sealed.pdu, version, signer, keyId, keyPairFromSeed(seed).publicKey)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
