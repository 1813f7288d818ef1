import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLocalVectors, readSharedVectors } from './testing/vectors';
import {
  addContentHash,
  canonicalJson,
  checkContentHash,
  computeContentHash,
  computeEventId,
  computeReferenceHash,
  computeRoomIdFromCreate,
  decodeBase64,
  getRoomVersion,
  keyPairFromSeed,
  KNOWN_ROOM_VERSIONS,
  ProtocolError,
  publicKeyFromMemberId,
  redactEvent,
  signEvent,
  verifyEventSignature,
  verifyEventSignatureSync,
} from './index';

type SpecVector = {
  name: string;
  kind?: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
  key: { seed_base64: string; server_name: string; key_id: string };
  derived: Record<string, string>;
};
const specVectors = readSharedVectors<SpecVector[]>('signing.json').filter((v) => v.kind === 'event-signing');

type Case = {
  name: string;
  room_version: string;
  signer: string;
  key_id: string;
  input: Record<string, unknown>;
  content_hash: string;
  redacted: Record<string, unknown>;
  reference_hash: string;
  event_id: string;
  signed: Record<string, unknown>;
  co_signer?: { server_name: string; key_id: string };
  room_id?: string;
};
type OwnVectors = {
  server_key: { server_name: string; key_id: string; seed_base64: string; public_key_base64: string };
  member_key: { seed_base64: string; member_id: string };
  member_keys_room_id: string;
  cases: Case[];
};
// Made by vectors/generate.py (Python `cryptography` + hashlib), an implementation independent of this one.
const own = readLocalVectors<OwnVectors>('events.json');
const seedFor = (signer: string) =>
  decodeBase64(signer.startsWith('@') && !signer.includes(':') ? own.member_key.seed_base64 : own.server_key.seed_base64);

describe('event signing: spec vectors (room versions 1–10 redaction)', () => {
  it('has vectors', () => expect(specVectors.length).toBe(2));
  for (const vector of specVectors) {
    it(vector.name, async () => {
      const seed = decodeBase64(vector.key.seed_base64);
      const { server_name, key_id } = vector.key;
      const signed = signEvent({ ...vector.input, hashes: {} }, '5', server_name, key_id, seed);
      expect(signed).toEqual(vector.expected);
      const publicKey = keyPairFromSeed(seed).publicKey;
      for (const version of ['1', '3', '5', '10']) {
        expect(await verifyEventSignature(vector.expected, version, server_name, key_id, publicKey)).toBe(true);
      }
      // v11 stopped keeping `origin`, so the same signature no longer covers the same bytes.
      expect(await verifyEventSignature(vector.expected, '11', server_name, key_id, publicKey)).toBe(false);
      expect(checkContentHash(vector.expected)).toBe(true);
      expect(computeReferenceHash(vector.expected, '3')).toBe(vector.derived.reference_hash_redaction_v1_to_v10_unpadded_base64);
      expect(computeReferenceHash(vector.expected, '4')).toBe(vector.derived.reference_hash_redaction_v1_to_v10_urlsafe);
      expect(computeReferenceHash(vector.expected, '11')).toBe(vector.derived.reference_hash_redaction_v11_plus_urlsafe);
    });
  }
});

describe('room versions 11 and org.matrix.12.4430: committed vectors', () => {
  it('covers both versions', () => {
    expect(new Set(own.cases.map((c) => c.room_version))).toEqual(new Set(['11', 'org.matrix.12.4430']));
  });
  for (const vector of own.cases) {
    it(`${vector.room_version} ${vector.name}`, async () => {
      const version = vector.room_version;
      expect(computeContentHash(vector.input)).toBe(vector.content_hash);
      expect(redactEvent(vector.signed, version)).toEqual(vector.redacted);
      expect(computeReferenceHash(vector.signed, version)).toBe(vector.reference_hash);
      expect(computeEventId(vector.signed, version)).toBe(vector.event_id);
      let signed = signEvent(vector.input, version, vector.signer, vector.key_id, seedFor(vector.signer));
      if (vector.co_signer)
        signed = signEvent(signed, version, vector.co_signer.server_name, vector.co_signer.key_id, seedFor(vector.co_signer.server_name));
      expect(canonicalJson(signed)).toBe(canonicalJson(vector.signed));
      const signerKey = vector.signer.includes(':') ? decodeBase64(own.server_key.public_key_base64) : publicKeyFromMemberId(vector.signer);
      expect(await verifyEventSignature(vector.signed, version, vector.signer, vector.key_id, signerKey)).toBe(true);
      // A redacted copy still verifies: signatures cover the redacted form.
      expect(verifyEventSignatureSync(redactEvent(vector.signed, version), version, vector.signer, vector.key_id, signerKey)).toBe(true);
      if (vector.room_id) expect(computeRoomIdFromCreate(vector.signed, version)).toBe(vector.room_id);
    });
  }

  it('4430 redaction keeps domain and drops localpart; v11 drops both', () => {
    const member = own.cases.find((c) => c.name === 'member')!.signed;
    expect(redactEvent(member, 'org.matrix.12.4430').content as Record<string, unknown>).toEqual({
      membership: 'join',
      domain: 'alpha.localhost:8481',
    });
    expect(redactEvent(member, '11').content as Record<string, unknown>).toEqual({ membership: 'join' });
    expect(redactEvent(member, '5')).toHaveProperty('content', { membership: 'join' });
  });

  it('4430 redaction keeps dev.wayfarer.key_nonce (the invite-key pool nonce) with domain; v11 drops it', () => {
    const member = own.cases.find((c) => c.name === 'member-with-key-nonce')!.signed;
    expect(redactEvent(member, 'org.matrix.12.4430').content as Record<string, unknown>).toEqual({
      membership: 'join',
      domain: 'alpha.localhost:8481',
      'dev.wayfarer.key_nonce': 'EBESExQVFhcYGRobHB0eHw',
    });
    expect(redactEvent(member, '11').content as Record<string, unknown>).toEqual({ membership: 'join' });
  });
});

describe('redaction rules across versions', () => {
  const event = (type: string, content: Record<string, unknown>) => ({
    type,
    content,
    origin: 'x',
    membership: 'join',
    prev_state: [],
    unsigned: {},
    extra: 1,
  });
  it('applies each generation', () => {
    expect(redactEvent(event('m.room.aliases', { aliases: ['#a:x'] }), '5').content).toEqual({ aliases: ['#a:x'] });
    expect(redactEvent(event('m.room.aliases', { aliases: ['#a:x'] }), '6').content).toEqual({});
    expect(redactEvent(event('m.room.join_rules', { join_rule: 'restricted', allow: [] }), '7').content).toEqual({
      join_rule: 'restricted',
    });
    expect(redactEvent(event('m.room.join_rules', { join_rule: 'restricted', allow: [] }), '8').content).toEqual({
      join_rule: 'restricted',
      allow: [],
    });
    expect(redactEvent(event('m.room.member', { membership: 'join', join_authorised_via_users_server: '@a:x' }), '8').content).toEqual({
      membership: 'join',
    });
    expect(redactEvent(event('m.room.member', { membership: 'join', join_authorised_via_users_server: '@a:x' }), '9').content).toEqual({
      membership: 'join',
      join_authorised_via_users_server: '@a:x',
    });
    expect(redactEvent(event('m.room.create', { creator: '@a:x', room_version: '10' }), '10').content).toEqual({ creator: '@a:x' });
    expect(redactEvent(event('m.room.create', { creator: '@a:x', room_version: '11' }), '11').content).toEqual({
      creator: '@a:x',
      room_version: '11',
    });
    expect(Object.keys(redactEvent(event('m.room.message', { body: 'x' }), '10')).sort()).toEqual([
      'content',
      'membership',
      'origin',
      'prev_state',
      'type',
    ]);
    expect(Object.keys(redactEvent(event('m.room.message', { body: 'x' }), '11')).sort()).toEqual(['content', 'type']);
  });

  it('gives typed errors for unknown versions and non-objects', () => {
    expect(() => getRoomVersion('99')).toThrow(ProtocolError);
    expect(() => getRoomVersion('__proto__')).toThrow(ProtocolError);
    expect(() => redactEvent([] as unknown as object, '11')).toThrow(ProtocolError);
    expect(() => computeEventId({ type: 'x' }, '1')).toThrow(ProtocolError);
    expect(() => computeRoomIdFromCreate({ type: 'm.room.create', room_id: '!x' }, '12')).toThrow(ProtocolError);
    expect(() => computeRoomIdFromCreate({ type: 'm.room.create' }, '11')).toThrow(ProtocolError);
    expect(Object.keys(KNOWN_ROOM_VERSIONS)).toContain('org.matrix.12.4430');
    expect(getRoomVersion('org.matrix.12.4430').usesMemberKeys).toBe(true);
  });
});

describe('content hashes', () => {
  it('detects changed content and tolerates garbage hashes', () => {
    const event = addContentHash({ type: 'm.room.message', content: { body: 'a' } });
    expect(checkContentHash(event)).toBe(true);
    expect(checkContentHash({ ...event, content: { body: 'b' } })).toBe(false);
    expect(checkContentHash({ ...event, hashes: { sha256: '%%%' } })).toBe(false);
    expect(checkContentHash({ ...event, hashes: 5 })).toBe(false);
    expect(checkContentHash({ type: 'x' })).toBe(false);
    expect(() => computeContentHash({ content: { n: 1.5 } })).toThrow(ProtocolError);
  });
});

describe('event signatures (properties)', () => {
  const versions = ['11', 'org.matrix.12.4430'];
  const arbitraryEvent = fc.record({
    type: fc.constantFrom('m.room.message', 'm.room.member', 'm.room.topic', 'm.room.power_levels'),
    content: fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.boolean())),
    origin_server_ts: fc.nat(),
    depth: fc.nat({ max: 1000 }),
    prev_events: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
  });

  it('sign then verify holds; flipping any byte of the signed event JSON breaks it', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbitraryEvent,
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom(...versions),
        fc.nat(),
        async (base, seed, version, at) => {
          const pair = keyPairFromSeed(seed);
          const sender = `@${Buffer.from(pair.publicKey).toString('base64url')}`;
          const signed = signEvent({ ...base, sender, room_id: '!r' }, version, sender, 'ed25519:1', seed);
          expect(await verifyEventSignature(signed, version, sender, 'ed25519:1', pair.publicKey)).toBe(true);
          // Flip one byte of the bytes the signature covers; re-parse so the flip lands in a real field.
          const { signatures: _signatures, ...unsignedEvent } = signed;
          const covered = canonicalJson(redactEvent(unsignedEvent, version));
          const bytes = Buffer.from(covered);
          const index = at % bytes.length;
          bytes[index] = bytes[index]! ^ 0x01;
          let tampered: Record<string, unknown>;
          try {
            tampered = JSON.parse(bytes.toString('utf8'));
          } catch {
            return; // the flip broke the JSON syntax itself: nothing to verify
          }
          if (canonicalJson(tampered) === covered) return; // e.g. a flip inside an escape that decodes the same
          const forged = { ...tampered, signatures: signed.signatures };
          expect(await verifyEventSignature(forged, version, sender, 'ed25519:1', pair.publicKey)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects a wrong key, a missing signature and malformed events without throwing', async () => {
    const seed = new Uint8Array(32).fill(3);
    const pair = keyPairFromSeed(seed);
    const signed = signEvent({ type: 't', content: {} }, '11', 's', 'ed25519:1', seed);
    expect(await verifyEventSignature(signed, '11', 's', 'ed25519:1', keyPairFromSeed(new Uint8Array(32)).publicKey)).toBe(false);
    expect(await verifyEventSignature(signed, '11', 'other', 'ed25519:1', pair.publicKey)).toBe(false);
    expect(await verifyEventSignature(null as unknown as object, '11', 's', 'ed25519:1', pair.publicKey)).toBe(false);
    expect(await verifyEventSignature({ ...signed, depth: 0.5 }, '11', 's', 'ed25519:1', pair.publicKey)).toBe(false);
  });
});
