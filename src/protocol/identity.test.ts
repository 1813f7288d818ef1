import { describe, expect, it } from 'vitest';
import {
  accountKeyProofBytes,
  claimedUserId,
  findSharedHandles,
  deriveAccountKey,
  encodeBase64,
  encodeBase64Url,
  erasedUserId,
  isKeyIdentity,
  ProtocolError,
  senderIdentity,
  signAccountKeyProof,
  STABLE_ID_FIELD,
  unverifiedUserId,
  verifyAccountKeyProof,
} from './index';

const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i * 3);
const urlSafe = encodeBase64Url(key);

describe('senderIdentity', () => {
  it('prefers sender_key, then the stable ID, then sender, all normalised to one form', () => {
    const viaSenderKey = senderIdentity({ sender: '@_unverified_a_b:x', sender_key: encodeBase64(key) });
    const viaStableId = senderIdentity({ sender: '@alice:alpha', unsigned: { [STABLE_ID_FIELD]: `@${urlSafe}` } });
    expect(viaSenderKey).toBe(urlSafe);
    expect(viaStableId).toBe(urlSafe);
    expect(senderIdentity({ sender: '@alice:alpha' })).toBe('@alice:alpha');
    expect(isKeyIdentity(viaSenderKey)).toBe(true);
    expect(isKeyIdentity('@alice:alpha')).toBe(false);
  });

  it('skips malformed key fields instead of trusting them, and throws a typed error with nothing to go on', () => {
    expect(senderIdentity({ sender: '@a:b', sender_key: 'nope', unsigned: { [STABLE_ID_FIELD]: 42 } })).toBe('@a:b');
    expect(() => senderIdentity({})).toThrow(ProtocolError);
    expect(() => senderIdentity({ unsigned: null as unknown as Record<string, unknown> })).toThrow(ProtocolError);
  });
});

describe('placeholder user IDs', () => {
  it('follows MSC4014 forms with localpart-safe characters', () => {
    expect(unverifiedUserId('Alice', 'alpha.localhost:8481', 'beta.localhost:8482')).toBe(
      '@_unverified_alice_alpha.localhost=3a8481:beta.localhost:8482',
    );
    expect(erasedUserId(`@${urlSafe}`, 'beta')).toMatch(/^@_erased_[a-z0-9._=\-/+]+:beta$/);
  });
});

describe('account-key login proof', () => {
  it('signs and verifies the proof, and rejects any change', async () => {
    const account = deriveAccountKey(new Uint8Array(32).fill(1));
    const fields = { challenge: 'c1', homeserver: 'alpha', account_key: encodeBase64Url(account.publicKey) };
    expect(new TextDecoder().decode(accountKeyProofBytes(fields))).toBe(
      `{"account_key":"${fields.account_key}","challenge":"c1","homeserver":"alpha","type":"dev.wayfarer.login.account_key.v1"}`,
    );
    const signature = signAccountKeyProof(fields, account.seed);
    expect(await verifyAccountKeyProof(fields, signature)).toBe(true);
    expect(await verifyAccountKeyProof({ ...fields, homeserver: 'beta' }, signature)).toBe(false);
    expect(await verifyAccountKeyProof({ ...fields, account_key: 'junk' }, signature)).toBe(false);
    expect(await verifyAccountKeyProof(fields, '***')).toBe(false);
  });
});

describe('shared handles', () => {
  it('lists only handles that more than one identity claims', () => {
    const shared = findSharedHandles([
      { identity: 'keyA', handle: claimedUserId('alice', 'alpha') },
      { identity: 'keyB', handle: '@alice:alpha' },
      { identity: 'keyA', handle: '@alice:alpha' },
      { identity: 'keyC', handle: '@carol:beta' },
      { identity: 'keyD', handle: null },
    ]);
    expect([...shared]).toEqual([['@alice:alpha', ['keyA', 'keyB']]]);
  });
});
