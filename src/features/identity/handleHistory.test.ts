// The inspector's handle history from signed member events: parsing the homeserver's answer, who co-signed each
// event (a forged one names its real co-signer and the domain it failed to get), the badge rules (an unverified
// claim is never shown as a handle), this browser's checks of every event, and the rendered list.
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import {
  buildServerKeyResponse,
  keyPairFromSeed,
  MEMBER_KEY_ID,
  MEMBER_KEYS_ROOM_VERSION,
  memberIdFromPublicKey,
  redactEvent,
  signEvent,
  WAYFARER_CLIENT_PREFIX,
} from '../../protocol';
import { createBrowserVerifier, fetchMemberHistory, memoryCache } from './browserVerify';
import {
  coSignatureText,
  coSignersOf,
  describeHandleHistory,
  MemberHistoryError,
  parseMemberHistory,
  type SignedMemberEvent,
} from './handleHistory';
import { HandleHistorySection } from './IdentityInspector';

const ROOM = '!room:alpha';
const NOW = 1_800_000_000_000;
const seed = (n: number) => new Uint8Array(32).fill(n);
const servers = {
  'alpha.localhost:1': { keyId: 'ed25519:a1', seed: seed(1) },
  'beta.example': { keyId: 'ed25519:b1', seed: seed(2) },
  'gamma.example': { keyId: 'ed25519:g1', seed: seed(3) },
} as const;
type ServerName = keyof typeof servers;

const bobSeed = seed(42);
const bob = memberIdFromPublicKey(keyPairFromSeed(bobSeed).publicKey);

/** A member event of bob claiming `localpart`@`domain`, signed by bob's key and co-signed by `coSigner`. */
function memberEvent(ts: number, domain: ServerName, coSigner: ServerName, localpart = 'bob', membership = 'join'): SignedMemberEvent {
  const event = {
    type: 'm.room.member',
    room_id: ROOM,
    sender: bob,
    state_key: bob,
    content: { membership, localpart, domain },
    origin_server_ts: ts,
    depth: 3,
    prev_events: [],
    auth_events: [],
  };
  const byMember = signEvent(event, MEMBER_KEYS_ROOM_VERSION, bob, MEMBER_KEY_ID, bobSeed);
  return signEvent(
    byMember,
    MEMBER_KEYS_ROOM_VERSION,
    coSigner,
    servers[coSigner].keyId,
    servers[coSigner].seed,
  ) as unknown as SignedMemberEvent;
}

/** Key endpoints of the three servers and a homeserver that answers `?history=true` with `history`. */
function world(history: SignedMemberEvent[]) {
  const keyRequests: string[] = [];
  const requested: string[] = [];
  const fetchFn = (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    requested.push(url.pathname + url.search);
    if (url.pathname === '/_matrix/key/v2/server') {
      keyRequests.push(url.host);
      const server = servers[url.host as ServerName];
      return server
        ? Response.json(buildServerKeyResponse(url.host, server.keyId, server.seed, NOW + 86_400_000))
        : new Response('{}', { status: 404 });
    }
    if (url.pathname.startsWith(`${WAYFARER_CLIENT_PREFIX}/rooms/`)) return Response.json({ event: history.at(-1), history });
    return new Response('not here', { status: 500 });
  }) as typeof fetch;
  const deps = { fetch: fetchFn, homeserverUrl: 'http://hs.localhost:1', accessToken: 't' };
  return { deps, keyRequests, requested, verifier: createBrowserVerifier({ ...deps, cache: memoryCache(), now: () => NOW }) };
}

const joinedOnAlpha = memberEvent(NOW - 3000, 'alpha.localhost:1', 'alpha.localhost:1');
const forgedOnBeta = memberEvent(NOW - 2000, 'beta.example', 'gamma.example', 'bob', 'join');
const erased = redactEvent(
  memberEvent(NOW - 1000, 'alpha.localhost:1', 'alpha.localhost:1', 'bobby'),
  MEMBER_KEYS_ROOM_VERSION,
) as SignedMemberEvent;
const movedToBeta = memberEvent(NOW, 'beta.example', 'beta.example');

describe('parseMemberHistory', () => {
  it('reads {event, history}, oldest first whatever order the server used', () => {
    const events = parseMemberHistory({ event: movedToBeta, history: [movedToBeta, joinedOnAlpha] });
    expect(events).toEqual([joinedOnAlpha, movedToBeta]);
  });

  it('refuses other shapes with a MemberHistoryError, never a crash', () => {
    const bad: unknown[] = [
      null,
      'x',
      joinedOnAlpha,
      { event: joinedOnAlpha },
      { history: 'no' },
      { history: [5] },
      { history: [{ ...joinedOnAlpha, signatures: undefined }] },
      { history: [{ ...joinedOnAlpha, type: 'm.room.message' }] },
      { history: [{ ...joinedOnAlpha, origin_server_ts: 'today' }] },
    ];
    for (const body of bad) expect(() => parseMemberHistory(body), JSON.stringify(body)).toThrow(MemberHistoryError);
  });
});

describe('who co-signed', () => {
  it('lists the server names under signatures, not the member key itself', () => {
    expect(coSignersOf(joinedOnAlpha, bob)).toEqual(['alpha.localhost:1']);
    expect(coSignersOf(forgedOnBeta, bob.slice(1))).toEqual(['gamma.example']);
  });

  it('says whether the claimed domain co-signed, and names who did instead', () => {
    expect(coSignatureText(['gamma.example'], 'beta.example')).toBe('co-signed by gamma.example, not by the claimed beta.example');
    expect(coSignatureText([], 'beta.example')).toBe('no co-signature: the claimed beta.example did not sign it');
    expect(coSignatureText(['beta.example', 'gamma.example'], 'beta.example')).toBe('co-signed by beta.example (and by gamma.example)');
    expect(coSignatureText(['alpha'], undefined)).toBe('co-signed by alpha; no domain claimed');
  });
});

describe('the history as the inspector shows it', () => {
  it('checks every event in this browser with one key fetch per domain: handle when verified, the badge words otherwise', async () => {
    const history = [joinedOnAlpha, forgedOnBeta, erased, movedToBeta];
    const w = world(history);
    const events = parseMemberHistory(await fetchMemberHistory(w.deps, ROOM, bob));
    expect(w.requested[0]).toBe(
      `${WAYFARER_CLIENT_PREFIX}/rooms/${encodeURIComponent(ROOM)}/member_event/${encodeURIComponent(bob)}?history=true`,
    );
    const verdicts = await w.verifier.verifyEvents(MEMBER_KEYS_ROOM_VERSION, events);
    expect(w.keyRequests.sort()).toEqual(['alpha.localhost:1', 'beta.example']);
    const entries = describeHandleHistory(events, bob, MEMBER_KEYS_ROOM_VERSION, verdicts);

    expect(entries.map((e) => e.label)).toEqual(['@bob:alpha.localhost:1', '⚠ Unverified handle', 'Erased', '@bob:beta.example']);
    expect(entries.map((e) => e.ts)).toEqual([NOW - 3000, NOW - 2000, NOW - 1000, NOW]);
    expect(entries[0]).toMatchObject({
      verified: true,
      membership: 'join',
      coSigners: ['alpha.localhost:1'],
      coSignedByClaimedDomain: true,
      coSignature: 'co-signed by alpha.localhost:1 (ed25519:a1), checked by this browser',
    });
    expect(entries[1]).toMatchObject({
      verified: false,
      claim: '@bob:beta.example',
      coSigners: ['gamma.example'],
      coSignedByClaimedDomain: false,
      coSignature: 'co-signed by gamma.example, not by the claimed beta.example',
    });
    expect(entries[2]).toMatchObject({ verified: false, coSigners: ['alpha.localhost:1'], coSignedByClaimedDomain: true });
    expect(entries[2]!.claim).toBeUndefined();
    expect(entries[3]).toMatchObject({ verified: true, coSignedByClaimedDomain: true });
    expect(new Set(entries.map((e) => e.key)).size).toBe(4);
    expect(entries[0]!.key).toMatch(/^\$/);
  });

  it('a co-signature that no longer checks out says why, and the claim is not shown as a handle', async () => {
    const retired = memberEvent(NOW, 'alpha.localhost:1', 'alpha.localhost:1');
    (retired.signatures['alpha.localhost:1'] as Record<string, string>) = {
      'ed25519:old': (retired.signatures['alpha.localhost:1'] as Record<string, string>)['ed25519:a1']!,
    };
    const [verdict] = await world([retired]).verifier.verifyEvents(MEMBER_KEYS_ROOM_VERSION, [retired]);
    const [entry] = describeHandleHistory([retired], bob, MEMBER_KEYS_ROOM_VERSION, [verdict]);
    expect(entry).toMatchObject({ label: '⚠ Unverified handle', verified: false, claim: '@bob:alpha.localhost:1' });
    expect(entry!.coSignature).toMatch(/^co-signed by alpha\.localhost:1, but not valid now: .*ed25519:old/);
  });

  it('before this browser has checked, every claim reads as unverified', () => {
    const entries = describeHandleHistory([joinedOnAlpha, movedToBeta], bob, MEMBER_KEYS_ROOM_VERSION);
    expect(entries.map((e) => e.label)).toEqual(['⚠ Unverified handle', '⚠ Unverified handle']);
    expect(entries.map((e) => e.coSignature)).toEqual(['co-signed by alpha.localhost:1', 'co-signed by beta.example']);
  });

  it('renders date, handle or badge words, and the co-signer of each event; an unverified claim only in a tooltip', async () => {
    const w = world([joinedOnAlpha, forgedOnBeta]);
    const events = parseMemberHistory(await fetchMemberHistory(w.deps, ROOM, bob));
    const entries = describeHandleHistory(
      events,
      bob,
      MEMBER_KEYS_ROOM_VERSION,
      await w.verifier.verifyEvents(MEMBER_KEYS_ROOM_VERSION, events),
    );
    const html = renderToStaticMarkup(createElement(HandleHistorySection, { history: { kind: 'loaded', entries } }));
    const items = html.split('<li').slice(1);
    expect(items).toHaveLength(2);
    expect(items[0]).toContain(`dateTime="${new Date(NOW - 3000).toISOString()}"`);
    expect(items[0]).toContain('>@bob:alpha.localhost:1<');
    expect(items[0]).toContain('co-signed by alpha.localhost:1 (ed25519:a1), checked by this browser');
    expect(items[1]).toContain('>⚠ Unverified handle<');
    expect(items[1]).toContain('title="Claims @bob:beta.example, not verified"');
    expect(items[1]!.replace(/title="[^"]*"/g, '')).not.toContain('@bob:beta.example');
    expect(items[1]).toContain('co-signed by gamma.example, not by the claimed beta.example');
  });

  it('renders loading and failure in words', () => {
    expect(renderToStaticMarkup(createElement(HandleHistorySection, { history: { kind: 'loading' } }))).toContain(
      'Loading the signed member events',
    );
    expect(renderToStaticMarkup(createElement(HandleHistorySection, { history: { kind: 'failed', reason: 'HTTP 403' } }))).toContain(
      'Could not load the handle history: HTTP 403',
    );
  });
});
