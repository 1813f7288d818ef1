import { describe, expect, it } from 'vitest';
import {
  buildServerKeyResponse,
  createLinkVerifier,
  encodeBase64,
  keyPairFromSeed,
  MEMBER_KEYS_ROOM_VERSION,
  memberIdFromPublicKey,
  normaliseKey,
  redactEvent,
  signEvent,
  signJson,
  verifyLink,
  verifyServerKeyResponse,
  type KeyFetchOutcome,
  type KnownLinkKey,
} from './index';

const NOW = 1_800_000_000_000;
const DAY = 86_400_000;
const DOMAIN = 'alpha.localhost:8481';
const serverSeed = new Uint8Array(32).fill(11);
const rotatedSeed = new Uint8Array(32).fill(12);
const memberSeed = new Uint8Array(32).fill(21);
const member = keyPairFromSeed(memberSeed);
const memberId = memberIdFromPublicKey(member.publicKey);
const version = MEMBER_KEYS_ROOM_VERSION;

function memberEvent(
  overrides: Record<string, unknown> = {},
  coSign: { seed: Uint8Array; keyId: string } | null = { seed: serverSeed, keyId: 'ed25519:a' },
) {
  const event = {
    type: 'm.room.member',
    room_id: '!room',
    sender: memberId,
    state_key: memberId,
    origin_server_ts: NOW - DAY,
    depth: 3,
    prev_events: [],
    auth_events: [],
    content: { membership: 'join', localpart: 'alice', domain: DOMAIN, displayname: 'Alice' },
    ...overrides,
  };
  const signed = signEvent(event, version, memberId, 'ed25519:1', memberSeed);
  return coSign ? signEvent(signed, version, DOMAIN, coSign.keyId, coSign.seed) : signed;
}

const keysOk = (
  seed = serverSeed,
  keyId = 'ed25519:a',
  old: Record<string, { key: string; expired_ts: number }> = {},
): KeyFetchOutcome => ({
  kind: 'ok',
  response: buildServerKeyResponse(DOMAIN, keyId, seed, NOW + DAY, old),
});
const serverKeyB64 = encodeBase64(keyPairFromSeed(serverSeed).publicKey);
const known: KnownLinkKey = { domain: DOMAIN, keyId: 'ed25519:a', key: serverKeyB64, validUntilTs: NOW - 1, verifiedTs: NOW - DAY };

describe('verifyLink (PROTOCOL.md §4)', () => {
  it('verifies a member co-signed by the domain’s current key, and says what to remember', async () => {
    const verdict = await verifyLink({ memberEvent: memberEvent(), roomVersion: version, fetch: keysOk(), nowMs: NOW });
    expect(verdict).toMatchObject({
      status: 'verified',
      code: 'verified',
      localpart: 'alice',
      domain: DOMAIN,
      keyId: 'ed25519:a',
      memberKey: normaliseKey(memberId),
    });
    expect(verdict.knownKey).toEqual({ domain: DOMAIN, keyId: 'ed25519:a', key: serverKeyB64, validUntilTs: NOW + DAY, verifiedTs: NOW });
  });

  it('is erased when the member event was redacted (localpart gone), whatever the domain says', async () => {
    const redacted = redactEvent(memberEvent(), version);
    for (const fetch of [keysOk(), { kind: 'not_found' } as const, { kind: 'unreachable' } as const]) {
      const verdict = await verifyLink({ memberEvent: redacted, roomVersion: version, fetch, nowMs: NOW });
      expect(verdict).toMatchObject({ status: 'erased', code: 'erased', domain: DOMAIN });
    }
  });

  it('treats a content-hash mismatch as a redaction, so a tampered localpart cannot verify', async () => {
    const event = memberEvent();
    const tampered = { ...event, content: { ...event.content, localpart: 'mallory' } };
    expect(await verifyLink({ memberEvent: tampered, roomVersion: version, fetch: keysOk(), nowMs: NOW })).toMatchObject({
      status: 'erased',
    });
  });

  const unverifiedCases: [string, () => Parameters<typeof verifyLink>[0], string][] = [
    ['404', () => ({ memberEvent: memberEvent(), roomVersion: version, fetch: { kind: 'not_found' }, nowMs: NOW }), 'domain_not_found'],
    [
      'key missing',
      () => ({ memberEvent: memberEvent(), roomVersion: version, fetch: keysOk(rotatedSeed, 'ed25519:b'), nowMs: NOW }),
      'key_missing',
    ],
    [
      'key moved to old_verify_keys',
      () => ({
        memberEvent: memberEvent(),
        roomVersion: version,
        fetch: keysOk(rotatedSeed, 'ed25519:b', { 'ed25519:a': { key: serverKeyB64, expired_ts: NOW - 5 } }),
        nowMs: NOW,
      }),
      'key_moved_to_old',
    ],
    [
      'key bytes changed',
      () => ({ memberEvent: memberEvent(), roomVersion: version, fetch: keysOk(rotatedSeed, 'ed25519:a'), previous: known, nowMs: NOW }),
      'key_changed',
    ],
    [
      'bad co-signature',
      () => ({
        memberEvent: memberEvent({}, { seed: rotatedSeed, keyId: 'ed25519:a' }),
        roomVersion: version,
        fetch: keysOk(),
        nowMs: NOW,
      }),
      'bad_co_signature',
    ],
    [
      'no co-signature',
      () => ({ memberEvent: memberEvent({}, null), roomVersion: version, fetch: keysOk(), nowMs: NOW }),
      'no_co_signature',
    ],
    [
      'expired key response',
      () => ({ memberEvent: memberEvent(), roomVersion: version, fetch: keysOk(), nowMs: NOW + 2 * DAY }),
      'invalid_key_response',
    ],
    [
      'unreachable, never verified',
      () => ({ memberEvent: memberEvent(), roomVersion: version, fetch: { kind: 'unreachable', detail: 'ECONNREFUSED' }, nowMs: NOW }),
      'never_verified',
    ],
    [
      'bad member-key signature',
      () => {
        const event = memberEvent();
        return { memberEvent: { ...event, origin_server_ts: 5 }, roomVersion: version, fetch: keysOk(), nowMs: NOW };
      },
      'bad_member_signature',
    ],
    [
      'classic room version',
      () => ({ memberEvent: memberEvent(), roomVersion: '11', fetch: keysOk(), nowMs: NOW }),
      'unsupported_room_version',
    ],
  ];
  for (const [name, input, code] of unverifiedCases) {
    it(`is unverified on ${name}, with a reason of its own`, async () => {
      const verdict = await verifyLink(input());
      expect(verdict.status).toBe('unverified');
      expect(verdict.code).toBe(code);
      expect(verdict.reason.length).toBeGreaterThan(10);
      expect(verdict.knownKey).toBeUndefined();
    });
  }

  it('fails open: an unreachable domain keeps a link verified with the last known key', async () => {
    const verdict = await verifyLink({
      memberEvent: memberEvent(),
      roomVersion: version,
      fetch: { kind: 'unreachable' },
      previous: known,
      nowMs: NOW,
    });
    expect(verdict).toMatchObject({ status: 'verified', code: 'verified_with_last_known_key', knownKey: known });
  });

  it('a re-signed member event verifies under the rotated key', async () => {
    const resigned = signEvent(memberEvent(), version, DOMAIN, 'ed25519:b', rotatedSeed);
    const verdict = await verifyLink({
      memberEvent: resigned,
      roomVersion: version,
      fetch: keysOk(rotatedSeed, 'ed25519:b'),
      previous: known,
      nowMs: NOW,
    });
    expect(verdict).toMatchObject({ status: 'verified', keyId: 'ed25519:b' });
  });

  it('never throws on malformed member events', async () => {
    const junk: unknown[] = [
      null,
      'x',
      [],
      {},
      { type: 'm.room.member' },
      { ...memberEvent(), state_key: '@alice:x' },
      { ...memberEvent(), content: { membership: 'join' } },
      { ...memberEvent(), signatures: 7 },
      { ...memberEvent(), sender: 5 },
    ];
    for (const memberEventValue of junk) {
      const verdict = await verifyLink({ memberEvent: memberEventValue, roomVersion: version, fetch: keysOk(), nowMs: NOW });
      expect(verdict.status).toBe('unverified');
      expect(verdict.code).toBe('malformed_event');
    }
  });

  it('checks one key fetch per domain for many members', async () => {
    const fetched: string[] = [];
    const verifier = createLinkVerifier(async (domain) => {
      fetched.push(domain);
      if (domain !== DOMAIN) throw new Error('no route');
      return keysOk();
    }, NOW);
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(memberEvent(), version)));
    expect(verdicts.every((v) => v.status === 'verified')).toBe(true);
    const elsewhere = await verifier.verify(
      memberEvent({ content: { membership: 'join', localpart: 'bob', domain: 'gone.example' } }),
      version,
    );
    expect(elsewhere.code).toBe('no_co_signature');
    expect(fetched).toEqual([DOMAIN, 'gone.example']);
  });
});

describe('server key responses', () => {
  it('accepts a self-signed response and reports its keys', async () => {
    const response = buildServerKeyResponse(DOMAIN, 'ed25519:a', serverSeed, NOW + DAY, {
      'ed25519:old': { key: serverKeyB64, expired_ts: 5 },
    });
    const checked = await verifyServerKeyResponse(response, DOMAIN, NOW);
    expect(checked).toEqual({
      ok: true,
      serverName: DOMAIN,
      verifyKeys: { 'ed25519:a': serverKeyB64 },
      oldVerifyKeys: { 'ed25519:old': { key: serverKeyB64, expiredTs: 5 } },
      validUntilTs: NOW + DAY,
    });
  });

  it('rejects wrong names, bad self-signatures, expiry and junk with reasons', async () => {
    const response = buildServerKeyResponse(DOMAIN, 'ed25519:a', serverSeed, NOW + DAY);
    const reasons = [
      await verifyServerKeyResponse(response, 'other.example', NOW),
      await verifyServerKeyResponse({ ...response, valid_until_ts: NOW + 2 * DAY }, DOMAIN, NOW),
      await verifyServerKeyResponse(response, DOMAIN, NOW + 2 * DAY),
      await verifyServerKeyResponse(
        signJson({ ...response, verify_keys: { 'ed25519:a': { key: 'short' } } }, DOMAIN, 'ed25519:a', serverSeed),
        DOMAIN,
        NOW,
      ),
      await verifyServerKeyResponse({ ...response, verify_keys: {} }, DOMAIN, NOW),
      await verifyServerKeyResponse({ ...response, valid_until_ts: 1.5 }, DOMAIN, NOW),
      await verifyServerKeyResponse(null, DOMAIN, NOW),
      await verifyServerKeyResponse({ ...response, signatures: {} }, DOMAIN, NOW),
    ];
    for (const result of reasons) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/\w{4}/);
    }
  });

  it('refuses bad arguments when building', () => {
    expect(() => buildServerKeyResponse(DOMAIN, 'a', serverSeed, NOW)).toThrow(/key ID/);
    expect(() => buildServerKeyResponse(DOMAIN, 'ed25519:a', new Uint8Array(3), NOW)).toThrow();
  });
});
