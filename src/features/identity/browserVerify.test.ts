import { describe, expect, it } from 'vitest';
import {
  buildServerKeyResponse,
  keyPairFromSeed,
  MEMBER_KEY_ID,
  MEMBER_KEYS_ROOM_VERSION,
  memberIdFromPublicKey,
  normaliseKey,
  signEvent,
  WAYFARER_CLIENT_PREFIX,
} from '../../protocol';
import {
  createBrowserVerifier,
  fetchRoomMemberEvents,
  fewerRequestsInPages,
  keyServerUrl,
  memoryCache,
  tamperedContent,
  vouchedHistory,
} from './browserVerify';
import type { BrowserCheck } from '../../domain/identity/badge';
import { coSignatureText } from './handleHistory';

const ROOM = '!room:alpha';
const seed = (n: number) => new Uint8Array(32).fill(n);

type Mode = 'ok' | '404' | 'down' | 'hang';
/** Never answers; gives up only when the request is aborted (a SIGSTOPped server). */
function hang(signal: AbortSignal | null | undefined): Promise<Response> {
  return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
}

/** A tiny "internet": two domains' key endpoints and a homeserver's member_event endpoint, counting requests. */
function world(now: number) {
  const domains = new Map([
    ['alpha.localhost:1', { keyId: 'ed25519:a1', seed: seed(1), mode: 'ok' as Mode }],
    ['beta.example', { keyId: 'ed25519:b1', seed: seed(2), mode: 'ok' as Mode }],
  ]);
  const members = new Map<string, Record<string, unknown>>();
  const keyRequests: string[] = [];
  function addMember(i: number, domain: string, localpart: string) {
    const memberSeed = seed(100 + i);
    const memberId = memberIdFromPublicKey(keyPairFromSeed(memberSeed).publicKey);
    const d = domains.get(domain)!;
    const event = {
      type: 'm.room.member',
      room_id: ROOM,
      sender: memberId,
      state_key: memberId,
      content: { membership: 'join', localpart, domain },
      origin_server_ts: now,
      depth: 3,
      prev_events: [],
      auth_events: [],
    };
    members.set(
      normaliseKey(memberId),
      signEvent(
        signEvent(event, MEMBER_KEYS_ROOM_VERSION, memberId, MEMBER_KEY_ID, memberSeed),
        MEMBER_KEYS_ROOM_VERSION,
        domain,
        d.keyId,
        d.seed,
      ),
    );
    return normaliseKey(memberId);
  }
  const homeserver = { mode: 'ok' as Mode };
  /** The member_events endpoint: served in pages of `pageSize`, or unknown to this homeserver in one of two ways. */
  const pages = { mode: 'ok' as 'ok' | 'unrecognized' | 'bare404' | '405' | 'forbidden' | 'hang', pageSize: 1000, extra: [] as unknown[] };
  const requests = { pages: [] as string[], single: 0 };
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    if (url.pathname === '/_matrix/key/v2/server') {
      keyRequests.push(url.host);
      const d = domains.get(url.host);
      if (!d || d.mode === '404') return new Response('{}', { status: 404 });
      if (d.mode === 'down') throw new TypeError('Failed to fetch');
      if (d.mode === 'hang') return hang(init?.signal);
      return Response.json(buildServerKeyResponse(url.host, d.keyId, d.seed, now + 86_400_000));
    }
    if (url.pathname === `${WAYFARER_CLIENT_PREFIX}/rooms/${encodeURIComponent(ROOM)}/member_events`) {
      requests.pages.push(url.search);
      if (pages.mode === 'unrecognized')
        return Response.json({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }, { status: 404 });
      if (pages.mode === '405') return Response.json({ errcode: 'M_UNRECOGNIZED', error: 'Method not allowed' }, { status: 405 });
      if (pages.mode === 'bare404') return new Response('<h1>Not Found</h1>', { status: 404 });
      if (pages.mode === 'forbidden') return Response.json({ errcode: 'M_FORBIDDEN', error: 'You are not in this room' }, { status: 403 });
      if (pages.mode === 'hang') return hang(init?.signal);
      const all = [...[...members.values()].sort((a, b) => (String(a.state_key) < String(b.state_key) ? -1 : 1)), ...pages.extra];
      const from = Number(url.searchParams.get('from') ?? 0);
      const size = Math.min(pages.pageSize, Number(url.searchParams.get('limit')));
      const chunk = all.slice(from, from + size);
      return Response.json(from + size < all.length ? { chunk, next_batch: String(from + size) } : { chunk });
    }
    const prefix = `${WAYFARER_CLIENT_PREFIX}/rooms/${encodeURIComponent(ROOM)}/member_event/`;
    if (url.pathname.startsWith(prefix)) {
      requests.single++;
      if (homeserver.mode === 'hang') return hang(init?.signal);
      const event = members.get(normaliseKey(decodeURIComponent(url.pathname.slice(prefix.length))));
      return event
        ? Response.json(event)
        : Response.json({ errcode: 'M_NOT_FOUND', error: 'No member event for that key' }, { status: 404 });
    }
    return new Response('not here', { status: 500 });
  }) as typeof fetch;
  return { domains, members, keyRequests, addMember, fetchFn, homeserver, pages, requests };
}

describe('browser link verification', () => {
  const now = 1_800_000_000_000;
  const setup = () => {
    const w = world(now);
    const cache = memoryCache();
    const verifier = createBrowserVerifier({
      fetch: w.fetchFn,
      homeserverUrl: 'http://hs.localhost:1',
      accessToken: 't',
      cache,
      now: () => now,
    });
    return { w, cache, verifier };
  };

  it('uses http only for loopback development names', () => {
    expect(keyServerUrl('beta.localhost:8482')).toBe('http://beta.localhost:8482/_matrix/key/v2/server');
    expect(keyServerUrl('matrix.org')).toBe('https://matrix.org/_matrix/key/v2/server');
  });

  it('verifies a room with one key fetch per domain, then serves repeats from the cache; Verify now fetches again', async () => {
    const { w, verifier } = setup();
    const ids = Array.from({ length: 12 }, (_, i) => w.addMember(i, i % 2 ? 'beta.example' : 'alpha.localhost:1', `user${i}`));
    const first = await verifier.verifyRoom(
      ROOM,
      MEMBER_KEYS_ROOM_VERSION,
      ids.map((identity) => ({ identity })),
    );
    expect([...first.values()].every((c) => c.state === 'done' && c.status === 'verified')).toBe(true);
    expect(w.keyRequests.sort()).toEqual(['alpha.localhost:1', 'beta.example']);
    await verifier.verifyRoom(
      ROOM,
      MEMBER_KEYS_ROOM_VERSION,
      ids.map((identity) => ({ identity })),
    );
    expect(w.keyRequests).toHaveLength(2);
    await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: ids[0]! }], { force: true });
    expect(w.keyRequests).toHaveLength(3);
  });

  it('reads and writes the cache per room and per domain, not per member (IndexedDB charges per entry)', async () => {
    const w = world(now);
    const inner = memoryCache();
    const reads: string[] = [];
    const writes: string[] = [];
    let clock = now;
    const cache = {
      get: (key: string) => (reads.push(key), inner.get(key)),
      set: (key: string, value: unknown) => (writes.push(key), inner.set(key, value)),
    };
    const verifier = createBrowserVerifier({
      fetch: w.fetchFn,
      homeserverUrl: 'http://hs.localhost:1',
      accessToken: 't',
      cache,
      now: () => clock,
    });
    const ids = Array.from({ length: 40 }, (_, i) => w.addMember(i, i % 2 ? 'beta.example' : 'alpha.localhost:1', `user${i}`));
    const members = ids.map((identity) => ({ identity }));
    const first = await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members, { roomSize: ids.length });
    expect([...first.values()].every((c) => c.state === 'done' && c.status === 'verified')).toBe(true);
    // Two domains: their key responses and known keys, and the room's verdicts: a handful of entries, not 40 × 4.
    expect(reads.length).toBeLessThanOrEqual(6);
    expect(writes.length).toBeLessThanOrEqual(5);
    // A new verifier on the same cache (a reload) serves every verdict from it: the checks of the first pass, as they were.
    clock = now + 60_000;
    const again = createBrowserVerifier({
      fetch: w.fetchFn,
      homeserverUrl: 'http://hs.localhost:1',
      accessToken: 't',
      cache,
      now: () => clock,
    });
    const second = await again.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members, { roomSize: ids.length });
    expect(second).toEqual(first);
    expect(w.keyRequests).toHaveLength(2);
    // Verify now checks again (new checkedTs), and the cache holds the new verdicts.
    const forced = await again.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members, { roomSize: ids.length, force: true });
    expect([...forced.values()].every((c) => c.state === 'done' && c.status === 'verified' && c.checkedTs === clock)).toBe(true);
    const third = await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members, { roomSize: ids.length });
    expect(third).toEqual(forced);
  });

  it('finds a rotated key (the co-signing key is gone) on Verify now, with the reason', async () => {
    const { w, verifier } = setup();
    const bob = w.addMember(1, 'beta.example', 'bob');
    expect((await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }])).get(bob)).toMatchObject({
      status: 'verified',
      keyId: 'ed25519:b1',
    });
    w.domains.set('beta.example', { keyId: 'ed25519:b2', seed: seed(9), mode: 'ok' });
    const check = (await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }], { force: true })).get(bob)!;
    expect(check).toMatchObject({ state: 'done', status: 'unverified', code: 'key_missing' });
    expect(check.state === 'done' && check.reason).toContain('ed25519:b1');
  });

  it('fails a tampered member event (one byte of content changed) with the reason', async () => {
    const { w, verifier } = setup();
    const bob = w.addMember(1, 'beta.example', 'bob');
    const event = w.members.get(bob)!;
    w.members.set(bob, { ...event, content: { ...(event.content as object), localpart: 'bot' } });
    expect(tamperedContent(w.members.get(bob))).toBe(true);
    const check = (await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }])).get(bob)!;
    expect(check).toMatchObject({ status: 'unverified' });
    expect(check.state === 'done' && check.reason).toMatch(/content hash/);
  });

  it('fails a changed domain (signed fields) on the member signature', async () => {
    const { w, verifier } = setup();
    const bob = w.addMember(1, 'beta.example', 'bob');
    const event = w.members.get(bob)!;
    w.members.set(bob, { ...event, content: { ...(event.content as object), domain: 'alpha.localhost:1' } });
    expect((await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }])).get(bob)).toMatchObject({
      status: 'unverified',
    });
  });

  it('404 is unverified; an unreachable domain fails open only for a link this browser verified before', async () => {
    const { w, verifier } = setup();
    const bob = w.addMember(1, 'beta.example', 'bob');
    const alice = w.addMember(2, 'alpha.localhost:1', 'alice');
    await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }]);
    w.domains.get('beta.example')!.mode = 'down';
    w.domains.get('alpha.localhost:1')!.mode = '404';
    const checks = await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }, { identity: alice }], { force: true });
    expect(checks.get(bob)).toMatchObject({ status: 'verified', code: 'verified_with_last_known_key' });
    expect(checks.get(bob)).toMatchObject({ unreachable: { domain: 'beta.example', by: 'browser', lastVerifiedTs: now } });
    expect(checks.get(alice)).toMatchObject({ status: 'unverified', code: 'domain_not_found' });
    expect(checks.get(alice)).not.toHaveProperty('unreachable');
  });

  const homeserverVerified = (domain: string) => () => ({
    status: 'verified' as const,
    domain,
    localpart: 'bob',
    checked_ts: now - 60_000,
  });

  it('fails open on the homeserver’s word for a link this browser never verified, and never as unverified', async () => {
    const w = world(now);
    const bob = w.addMember(1, 'beta.example', 'bob');
    w.domains.get('beta.example')!.mode = 'down';
    const verifier = createBrowserVerifier({
      fetch: w.fetchFn,
      homeserverUrl: 'http://hs.localhost:1',
      accessToken: 't',
      cache: memoryCache(),
      now: () => now,
      homeserverSays: homeserverVerified('beta.example'),
    });
    const check = (await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }])).get(bob)!;
    expect(check).toMatchObject({
      status: 'verified',
      code: 'not_rechecked',
      unreachable: { domain: 'beta.example', by: 'homeserver', lastVerifiedTs: now - 60_000 },
    });
    // The homeserver's word covers only the domain it verified; with no word at all, never verified is unverified.
    const unsure = createBrowserVerifier({
      fetch: w.fetchFn,
      homeserverUrl: 'http://hs.localhost:1',
      accessToken: 't',
      cache: memoryCache(),
      now: () => now,
    });
    expect((await unsure.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }])).get(bob)).toMatchObject({
      status: 'unverified',
      code: 'never_verified',
    });
  });

  it('gives up on a domain that hangs after the timeout, and says so; the next check tries the domain again', async () => {
    const w = world(now);
    const bob = w.addMember(1, 'beta.example', 'bob');
    const cache = memoryCache();
    const verifier = createBrowserVerifier({
      fetch: w.fetchFn,
      homeserverUrl: 'http://hs.localhost:1',
      accessToken: 't',
      cache,
      now: () => now,
      timeoutMs: 50,
    });
    await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }]);
    w.domains.get('beta.example')!.mode = 'hang';
    const check = (await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }], { force: true })).get(bob)!;
    expect(check).toMatchObject({ status: 'verified', unreachable: { domain: 'beta.example', by: 'browser' } });
    expect(check.state === 'done' && check.reason).toContain('no answer within 0.1 s');
    // Back again: the fail-open verdict was not kept; the domain is asked (with the cached keys expired by force).
    w.domains.get('beta.example')!.mode = 'ok';
    const again = (await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }], { force: true })).get(bob)!;
    expect(again).toMatchObject({ status: 'verified', code: 'verified' });
    expect(again).not.toHaveProperty('unreachable');
  });

  it('a homeserver that hangs on the member event: timed out, and the homeserver’s earlier verdict stands', async () => {
    const w = world(now);
    const bob = w.addMember(1, 'beta.example', 'bob');
    w.homeserver.mode = 'hang';
    const verifier = createBrowserVerifier({
      fetch: w.fetchFn,
      homeserverUrl: 'http://hs.localhost:1',
      accessToken: 't',
      cache: memoryCache(),
      now: () => now,
      timeoutMs: 50,
      homeserverSays: homeserverVerified('beta.example'),
    });
    const check = (await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: bob }])).get(bob)!;
    expect(check).toMatchObject({ status: 'verified', code: 'fetch_failed', unreachable: { domain: 'hs.localhost:1', by: 'homeserver' } });
    expect(check.state === 'done' && check.reason).toContain('no answer within');
  });

  it('says so when the homeserver will not hand over the member event', async () => {
    const { verifier } = setup();
    const stranger = normaliseKey(memberIdFromPublicKey(keyPairFromSeed(seed(77)).publicKey));
    const check = (await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: stranger }])).get(stranger)!;
    expect(check).toMatchObject({ status: 'unverified', code: 'fetch_failed' });
    expect(check.state === 'done' && check.reason).toContain('404');
  });

  it('a handle history vouches for the current event only, on the homeserver’s word, and says it was not re-checked', async () => {
    const w = world(now);
    const bob = w.addMember(1, 'beta.example', 'bob');
    w.domains.get('beta.example')!.mode = 'down';
    const verifier = createBrowserVerifier({
      fetch: w.fetchFn,
      homeserverUrl: 'http://hs.localhost:1',
      accessToken: 't',
      cache: memoryCache(),
      now: () => now,
    });
    const event = w.members.get(bob)!;
    const verdicts = await verifier.verifyEvents(MEMBER_KEYS_ROOM_VERSION, [event, event]);
    expect(verdicts.map((v) => v.code)).toEqual(['never_verified', 'never_verified']);
    const vouched = vouchedHistory(verdicts, homeserverVerified('beta.example')());
    expect(vouched.map((v) => v.status)).toEqual(['unverified', 'verified']);
    expect(vouched[1]!.reason).not.toContain('never verified');
    expect(coSignatureText(['beta.example'], 'beta.example', vouched[1])).toMatch(
      /^co-signed by beta\.example, verified by your homeserver; couldn't re-check now: beta\.example is unreachable/,
    );
    // Another domain's word vouches for nothing.
    expect(vouchedHistory(verdicts, homeserverVerified('alpha.localhost:1')()).map((v) => v.status)).toEqual(['unverified', 'unverified']);
  });

  describe('a whole room in pages of member events (member_events, PROTOCOL.md §5)', () => {
    const room = (w: ReturnType<typeof world>, n: number) =>
      Array.from({ length: n }, (_, i) => ({ identity: w.addMember(i, i % 2 ? 'beta.example' : 'alpha.localhost:1', `user${i}`) }));
    const allVerified = (checks: Map<string, BrowserCheck>) =>
      [...checks.values()].every((c) => c.state === 'done' && c.status === 'verified' && c.code === 'verified');

    it('fetches the room in pages, following next_batch, and no member on its own; one key fetch per domain', async () => {
      const { w, verifier } = setup();
      w.pages.pageSize = 5;
      const members = room(w, 12);
      const checks = await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members, { roomSize: 12 });
      expect(checks.size).toBe(12);
      expect(allVerified(checks)).toBe(true);
      expect(w.requests.pages).toEqual(['?limit=1000', '?limit=1000&from=5', '?limit=1000&from=10']);
      expect(w.requests.single).toBe(0);
      expect(w.keyRequests.sort()).toEqual(['alpha.localhost:1', 'beta.example']);
    });

    it('asks one member on its own, and a few members of a big room one by one (fewer requests than its pages)', async () => {
      const { w, verifier } = setup();
      const members = room(w, 3);
      await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [members[0]!], { roomSize: 3 });
      expect(w.requests).toEqual({ pages: [], single: 1 });
      await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members.slice(0, 2), { roomSize: 2500, force: true });
      expect(w.requests).toEqual({ pages: [], single: 3 });
      expect(fewerRequestsInPages(2000, 2000)).toBe(true);
      expect(fewerRequestsInPages(3, 2500)).toBe(false);
      expect(fewerRequestsInPages(4, 2500)).toBe(true);
    });

    for (const mode of ['unrecognized', '405', 'bare404'] as const) {
      it(`falls back to one request per member on a homeserver without the endpoint (${mode}), and asks no more`, async () => {
        const { w, verifier } = setup();
        w.pages.mode = mode;
        const members = room(w, 6);
        expect(allVerified(await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members))).toBe(true);
        expect(w.requests).toEqual({ pages: ['?limit=1000'], single: 6 });
        expect(allVerified(await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members, { force: true }))).toBe(true);
        expect(w.requests).toEqual({ pages: ['?limit=1000'], single: 12 });
      });
    }

    it('a refusal of the pages is every member’s failure, with the reason, not a request per member', async () => {
      const { w, verifier } = setup();
      w.pages.mode = 'forbidden';
      const members = room(w, 4);
      const checks = await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members);
      expect(w.requests.single).toBe(0);
      for (const check of checks.values()) {
        expect(check).toMatchObject({ status: 'unverified', code: 'fetch_failed' });
        expect(check.state === 'done' && check.reason).toMatch(/member events: HTTP 403 \(You are not in this room\)/);
      }
    });

    it('a homeserver that hangs on the pages: timed out, and its earlier verdict stands for each member', async () => {
      const w = world(now);
      const members = room(w, 3);
      w.pages.mode = 'hang';
      const verifier = createBrowserVerifier({
        fetch: w.fetchFn,
        homeserverUrl: 'http://hs.localhost:1',
        accessToken: 't',
        cache: memoryCache(),
        now: () => now,
        timeoutMs: 50,
        homeserverSays: (_roomId, identity) => (identity === members[0]!.identity ? homeserverVerified('beta.example')() : undefined),
      });
      const checks = await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members);
      expect(checks.get(members[0]!.identity)).toMatchObject({ status: 'verified', unreachable: { by: 'homeserver' } });
      expect(checks.get(members[1]!.identity)).toMatchObject({ status: 'unverified', code: 'fetch_failed' });
      expect(w.requests.single).toBe(0);
    });

    it('a member missing from the pages, or sent twice, is asked for on its own; an event filed under another key is not used', async () => {
      const w = world(now);
      const members = room(w, 5);
      const [gone, twice, forged] = members.map((m) => m.identity);
      const events = new Map(w.members);
      w.members.delete(gone!); // not in the pages; still there for the single request below
      w.members.delete(forged!); // in the pages only as another member's event under forged's key
      w.pages.extra = [
        { ...events.get(twice!)!, content: { membership: 'join', localpart: 'evil', domain: 'beta.example' } },
        // forged's key, but another member's signed event
        { ...events.get(members[3]!.identity)!, state_key: events.get(forged!)!.state_key },
      ];
      const stub = w.fetchFn;
      const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
        const url = new URL(String(input));
        if (url.pathname.includes('/member_event/')) {
          const key = normaliseKey(decodeURIComponent(url.pathname.split('/').at(-1)!));
          w.requests.single++;
          return Response.json(events.get(key));
        }
        return stub(input, init);
      }) as typeof fetch;
      const verifier = createBrowserVerifier({
        fetch: fetchFn,
        homeserverUrl: 'http://hs.localhost:1',
        accessToken: 't',
        cache: memoryCache(),
        now: () => now,
      });
      const checks = await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, members);
      expect(w.requests.single).toBe(2); // gone and twice
      expect(checks.get(gone!)).toMatchObject({ status: 'verified' });
      expect(checks.get(twice!)).toMatchObject({ status: 'verified', code: 'verified' });
      // The hashes cover state_key: the event was altered after it was signed.
      expect(checks.get(forged!)).toMatchObject({ status: 'unverified', code: 'malformed_event' });
    });

    it('fetchRoomMemberEvents stops on a next_batch that does not move', async () => {
      const calls: string[] = [];
      const fetchFn = (async (input: string | URL | Request) => {
        calls.push(String(input));
        return Response.json({ chunk: [], next_batch: 'same' });
      }) as typeof fetch;
      await fetchRoomMemberEvents({ fetch: fetchFn, homeserverUrl: 'http://hs.localhost:1/', accessToken: 't' }, ROOM);
      expect(calls).toHaveLength(2);
    });
  });
});
