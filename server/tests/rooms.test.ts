// Rooms over real HTTP in both room versions: create, invite, join, send, sync, paginate, context, state,
// members, redact, typing, receipts, kick/ban/leave/forget — responses checked against the spec's OpenAPI.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createLinkVerifier,
  keyPairFromSeed,
  memberIdFromPublicKey,
  encodeBase64,
  verifyEventSignature,
  computeEventId,
} from '../../src/protocol';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { serverWithUsers } from '../testing/one-server';
import { enc, TestClient } from '../testing/http-client';
import { assertMatchesSpec } from '../testing/openapi';

// Real server processes and real clients: under `npm test` every file runs at once on two cores, so allow time.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const SERVER = 'alpha.localhost:18502';
const fixture = serverWithUsers(SERVER, ['alice', 'bob', 'carol']);
let server: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;
let carol: TestClient;
beforeAll(() => ({ server, alice, bob, carol } = fixture));

const send = async (client: TestClient, roomId: string, body: string, txn = `t${Math.random()}`) => {
  const reply = await client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, { msgtype: 'm.text', body });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  assertMatchesSpec('/rooms/{roomId}/send/{eventType}/{txnId}', 'put', 200, reply.body);
  return reply.body.event_id as string;
};

const sync = async (client: TestClient, params = '') => {
  const reply = await client.get(`/_matrix/client/v3/sync?${params}`);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  assertMatchesSpec('/sync', 'get', 200, reply.body);
  return reply.body;
};

for (const version of ['11', 'org.matrix.12.4430']) {
  const memberKeys = version !== '11';
  describe(`room version ${version}`, () => {
    let roomId: string;

    it('creates a room with name, topic, alias and an invite', async () => {
      const reply = await alice.post('/_matrix/client/v3/createRoom', {
        room_version: version,
        name: `Room ${version}`,
        topic: 'testing',
        room_alias_name: `room-${version.replace(/\./g, '-')}`,
        invite: [bob.userId],
        preset: 'private_chat',
      });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      assertMatchesSpec('/createRoom', 'post', 200, reply.body);
      roomId = reply.body.room_id;
      if (memberKeys) expect(roomId).toMatch(/^![A-Za-z0-9_-]{43}$/);
      else expect(roomId).toMatch(new RegExp(`^!.+:${SERVER}$`));
      const alias = await alice.get(`/_matrix/client/v3/directory/room/${enc(`#room-${version.replace(/\./g, '-')}:${SERVER}`)}`);
      expect(alias.body.room_id).toBe(roomId);
    });

    it("shows the invite in the invitee's sync, who then joins", async () => {
      const initial = await sync(bob);
      const invite = initial.rooms.invite[roomId];
      expect(invite).toBeDefined();
      const types = invite.invite_state.events.map((e: { type: string }) => e.type);
      expect(types).toEqual(expect.arrayContaining(['m.room.create', 'm.room.name', 'm.room.member']));
      const join = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {});
      expect(join.status, JSON.stringify(join.body)).toBe(200);
      assertMatchesSpec('/join/{roomIdOrAlias}', 'post', 200, join.body);
      const after = await sync(bob, `since=${initial.next_batch}`);
      expect(after.rooms.join[roomId]).toBeDefined();
      expect(after.rooms.invite[roomId]).toBeUndefined();
    });

    it('refuses events the auth rules forbid, and they never reach sync', async () => {
      const before = await sync(alice);
      const denied = await carol.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/x1`, {
        msgtype: 'm.text',
        body: 'intruder',
      });
      expect(denied.status).toBe(403);
      expect(denied.body.errcode).toBe('M_FORBIDDEN');
      const join = await carol.post(`/_matrix/client/v3/join/${enc(roomId)}`, {});
      expect(join.status).toBe(403);
      const name = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`, { users: { [bob.userId!]: 100 } });
      expect(name.status).toBe(403);
      const after = await sync(alice, `since=${before.next_batch}`);
      expect(JSON.stringify(after)).not.toContain('intruder');
    });

    it('sends with txnId idempotency and delivers to the other member by long-poll sync', async () => {
      const base = await sync(bob);
      const poll = sync(bob, `since=${base.next_batch}&timeout=20000`);
      const first = await send(alice, roomId, 'hello bob', 'same-txn');
      const again = await send(alice, roomId, 'hello bob', 'same-txn');
      expect(again).toBe(first);
      const result = await poll;
      const timeline = result.rooms.join[roomId].timeline.events;
      expect(timeline.map((e: { event_id: string }) => e.event_id)).toContain(first);
      const message = timeline.find((e: { event_id: string }) => e.event_id === first);
      expect(message.sender).toBe(alice.userId);
      expect(message.content.body).toBe('hello bob');
      if (memberKeys) {
        expect(message.sender_key).toMatch(/^[A-Za-z0-9+/]{43}$/);
        expect(message.unsigned['org.matrix.msc4428.stable_id']).toMatch(/^@[A-Za-z0-9_-]{43}$/);
      } else {
        expect(message.sender_key).toBeUndefined();
      }
      // The sender's own device sees its transaction ID; others don't.
      const own = await sync(alice, `since=${base.next_batch}`);
      const ownCopy = own.rooms.join[roomId].timeline.events.find((e: { event_id: string }) => e.event_id === first);
      expect(ownCopy.unsigned.transaction_id).toBe('same-txn');
      expect(message.unsigned.transaction_id).toBeUndefined();
      expect(timeline.filter((e: { event_id: string }) => e.event_id === first)).toHaveLength(1);
    });

    it('limits the sync timeline and paginates back and forth with /messages', async () => {
      const sent: string[] = [];
      for (let i = 0; i < 15; i++) sent.push(await send(bob, roomId, `message ${i}`));
      const filter = JSON.stringify({ room: { timeline: { limit: 5 } } });
      const initial = await sync(alice, `filter=${enc(filter)}`);
      const room = initial.rooms.join[roomId];
      expect(room.timeline.limited).toBe(true);
      expect(room.timeline.events.map((e: { event_id: string }) => e.event_id)).toEqual(sent.slice(-5));
      expect(room.state.events.some((e: { type: string }) => e.type === 'm.room.create')).toBe(true);
      if (memberKeys) expect(Object.keys(room['org.matrix.msc4428.member_info']).length).toBeGreaterThanOrEqual(2);

      const back = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=4&from=${room.timeline.prev_batch}`);
      assertMatchesSpec('/rooms/{roomId}/messages', 'get', 200, back.body);
      expect(back.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual(sent.slice(6, 10).reverse());
      const forward = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=f&limit=4&from=${back.body.end}`);
      expect(forward.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual(sent.slice(6, 10));
      // All the way back: the create event comes last, and then there is no `end`.
      let from = room.timeline.prev_batch;
      const all: Array<{ type: string }> = [];
      for (let page = 0; page < 20; page++) {
        const reply = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=10&from=${from}`);
        all.push(...reply.body.chunk);
        if (!reply.body.end) break;
        from = reply.body.end;
      }
      expect(all.at(-1)?.type).toBe('m.room.create');
      // Filters apply to pagination.
      const onlyState = await alice.get(
        `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50&filter=${enc(JSON.stringify({ types: ['m.room.member'] }))}`,
      );
      expect(onlyState.body.chunk.length).toBeGreaterThan(0);
      expect(onlyState.body.chunk.every((e: { type: string }) => e.type === 'm.room.member')).toBe(true);
    });

    it('serves context, single events, state and members', async () => {
      const target = await send(alice, roomId, 'context target');
      await send(bob, roomId, 'after target');
      const context = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/context/${enc(target)}?limit=4`);
      assertMatchesSpec('/rooms/{roomId}/context/{eventId}', 'get', 200, context.body);
      expect(context.body.event.event_id).toBe(target);
      expect(context.body.events_after[0].content.body).toBe('after target');
      expect(context.body.events_before).toHaveLength(2);
      const event = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(target)}`);
      assertMatchesSpec('/rooms/{roomId}/event/{eventId}', 'get', 200, event.body);
      expect(event.body.content.body).toBe('context target');
      const state = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state`);
      assertMatchesSpec('/rooms/{roomId}/state', 'get', 200, state.body);
      const name = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`);
      expect(name.body).toEqual({ name: `Room ${version}` });
      const topic = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, { topic: 'changed' });
      assertMatchesSpec('/rooms/{roomId}/state/{eventType}/{stateKey}', 'put', 200, topic.body);
      const members = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`);
      assertMatchesSpec('/rooms/{roomId}/members', 'get', 200, members.body);
      const joinedIds = members.body.chunk
        .filter((e: any) => e.content.membership === 'join')
        .map((e: any) => e.state_key)
        .sort();
      expect(joinedIds).toEqual([alice.userId, bob.userId].sort());
      const joined = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`);
      assertMatchesSpec('/rooms/{roomId}/joined_members', 'get', 200, joined.body);
      expect(Object.keys(joined.body.joined)).toHaveLength(2);
      if (memberKeys) {
        const info = members.body['org.matrix.msc4428.member_info'];
        const aliceInfo = Object.values(info).find((i: any) => i.user_id === alice.userId) as any;
        expect(aliceInfo['dev.wayfarer.link']).toMatchObject({ status: 'verified', localpart: 'alice', domain: SERVER });
      }
      const outsider = await carol.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b`);
      expect(outsider.status).toBe(403);
    });

    it('redacts events by their sender, and refuses others without the level', async () => {
      const eventId = await send(bob, roomId, 'regrettable');
      const denied = await carol.put(`/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(eventId)}/r0`, { reason: 'no' });
      expect(denied.status).toBe(403);
      const redaction = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(eventId)}/r1`, { reason: 'oops' });
      expect(redaction.status).toBe(200);
      assertMatchesSpec('/rooms/{roomId}/redact/{eventId}/{txnId}', 'put', 200, redaction.body);
      const event = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`);
      expect(event.body.content).toEqual({});
      expect(event.body.unsigned.redacted_because.event_id).toBe(redaction.body.event_id);
    });

    it('carries typing, receipts and read markers', async () => {
      const base = await sync(bob);
      expect(
        (await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId!)}`, { typing: true, timeout: 10000 })).status,
      ).toBe(200);
      const last = await send(alice, roomId, 'read me');
      const unread = await sync(bob, `since=${base.next_batch}`);
      const room = unread.rooms.join[roomId];
      expect(room.ephemeral.events.find((e: any) => e.type === 'm.typing').content.user_ids).toEqual([alice.userId]);
      expect(room.unread_notifications.notification_count).toBeGreaterThan(0);
      expect((await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(last)}`, {})).status).toBe(200);
      expect((await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/read_markers`, { 'm.fully_read': last })).status).toBe(200);
      const read = await sync(alice, `since=${base.next_batch}`);
      const receipt = read.rooms.join[roomId].ephemeral.events.find((e: any) => e.type === 'm.receipt');
      expect(receipt.content[last]['m.read'][bob.userId!]).toHaveProperty('ts');
      const bobAfter = await sync(bob, `since=${unread.next_batch}`);
      expect(bobAfter.rooms.join[roomId].unread_notifications.notification_count).toBe(0);
      expect(bobAfter.rooms.join[roomId].account_data.events).toContainEqual({ type: 'm.fully_read', content: { event_id: last } });
    });

    it('kicks, bans, unbans; a leaver sees the leave and can forget the room', async () => {
      const invite = await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: carol.userId });
      expect(invite.status, JSON.stringify(invite.body)).toBe(200);
      expect((await carol.post(`/_matrix/client/v3/rooms/${enc(roomId)}/join`, {})).status).toBe(200);
      const carolBase = await sync(carol);
      expect((await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { user_id: carol.userId, reason: 'test' })).status).toBe(
        200,
      );
      const kicked = await sync(carol, `since=${carolBase.next_batch}`);
      const leave = kicked.rooms.leave[roomId];
      expect(leave.timeline.events.at(-1)).toMatchObject({
        type: 'm.room.member',
        state_key: carol.userId,
        content: { membership: 'leave' },
      });
      expect((await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/ban`, { user_id: carol.userId })).status).toBe(200);
      expect((await carol.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(403);
      expect((await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/unban`, { user_id: carol.userId })).status).toBe(200);
      expect((await carol.post(`/_matrix/client/v3/rooms/${enc(roomId)}/forget`, {})).status).toBe(200);
      const forgotten = await sync(carol, 'filter=' + enc(JSON.stringify({ room: { include_leave: true } })));
      expect(forgotten.rooms.leave[roomId]).toBeUndefined();
      // A former member can still read what it saw, not what came after.
      const later = await send(alice, roomId, 'after carol left');
      const history = await carol.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`);
      expect(history.status).toBe(200);
      expect(history.body.chunk.map((e: any) => e.event_id)).not.toContain(later);
      expect((await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
      expect((await bob.get('/_matrix/client/v3/joined_rooms')).body.joined_rooms).not.toContain(roomId);
    });
  });
}

describe('member-key specifics', () => {
  it('serves the member event in federation format, verifiable by src/protocol', async () => {
    const created = await alice.post('/_matrix/client/v3/createRoom', { name: 'keys' });
    const roomId = created.body.room_id;
    const members = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`);
    const stableId = members.body.chunk[0].unsigned['org.matrix.msc4428.stable_id_state_key'];
    const reply = await alice.get(`/_matrix/client/unstable/dev.wayfarer/rooms/${enc(roomId)}/member_event/${enc(stableId)}`);
    expect(reply.status).toBe(200);
    expect(reply.body.content).toMatchObject({ membership: 'join', localpart: 'alice', domain: SERVER });
    expect(computeEventId(reply.body, 'org.matrix.12.4430')).toBe(members.body.chunk[0].event_id);
    const keys = await (await fetch(`${server.baseUrl}/_matrix/key/v2/server`)).json();
    const verifier = createLinkVerifier(async () => ({ kind: 'ok', response: keys }), Date.now());
    const verdict = await verifier.verify(reply.body, 'org.matrix.12.4430');
    expect(verdict.status).toBe('verified');
    expect(
      await verifyEventSignature(reply.body, 'org.matrix.12.4430', stableId, 'ed25519:1', keyPairFromSeed(new Uint8Array(32)).publicKey),
    ).toBe(false);
  });

  it('pages the current member events in federation format (member_events), each verifiable, for members only', async () => {
    const created = await alice.post('/_matrix/client/v3/createRoom', { name: 'batch', preset: 'public_chat' });
    const roomId = created.body.room_id;
    const extra = await Promise.all(['m1', 'm2', 'm3', 'm4'].map((name) => new TestClient(server.baseUrl).register(`batch_${name}`)));
    for (const client of [bob, ...extra]) expect((await client.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
    expect((await extra[3]!.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    const path = (query: string) => `/_matrix/client/unstable/dev.wayfarer/rooms/${enc(roomId)}/member_events${query}`;

    const pages: any[][] = [];
    let from: string | undefined;
    do {
      const reply = await alice.get(path(`?limit=2${from ? `&from=${enc(from)}` : ''}`));
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      pages.push(reply.body.chunk);
      from = reply.body.next_batch;
    } while (from && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]); // alice, bob, four more (one of them left): six
    const all = pages.flat();
    expect(new Set(all.map((e) => e.state_key)).size).toBe(6);
    expect(all.map((e) => e.content.membership).sort()).toEqual(['join', 'join', 'join', 'join', 'join', 'leave']);

    // The same as /members, event for event, and each one is signed as stored: its ID recomputes.
    const members = (await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`)).body.chunk as any[];
    expect(all.map((e) => computeEventId(e, 'org.matrix.12.4430')).sort()).toEqual(members.map((m) => m.event_id).sort());
    const keys = await (await fetch(`${server.baseUrl}/_matrix/key/v2/server`)).json();
    const verifier = createLinkVerifier(async () => ({ kind: 'ok', response: keys }), Date.now());
    for (const event of all.filter((e) => e.content.membership === 'join')) {
      expect((await verifier.verify(event, 'org.matrix.12.4430')).status).toBe('verified');
    }

    // One page holds everything by default; limits are capped, junk is refused, outsiders see nothing.
    const whole = await alice.get(path(''));
    expect(whole.body.chunk).toHaveLength(6);
    expect(whole.body.next_batch).toBeUndefined();
    expect((await alice.get(path('?limit=0'))).status).toBe(400);
    expect((await alice.get(path('?limit=abc'))).body.errcode).toBe('M_INVALID_PARAM');
    expect((await alice.get(path('?from=%2F%2F'))).status).toBe(400);
    expect((await carol.get(path(''))).status).toBe(403);
    const classic = (await alice.post('/_matrix/client/v3/createRoom', { room_version: '11' })).body.room_id;
    expect((await alice.get(`/_matrix/client/unstable/dev.wayfarer/rooms/${enc(classic)}/member_events`)).body.errcode).toBe(
      'M_INVALID_PARAM',
    );
  });

  it("uses a client-supplied member seed and refuses one that is already another account's key", async () => {
    const seed = new Uint8Array(32).fill(7);
    const expectedKey = memberIdFromPublicKey(keyPairFromSeed(seed).publicKey);
    const created = await alice.post('/_matrix/client/v3/createRoom', {
      preset: 'public_chat',
      'dev.wayfarer.member_seed': encodeBase64(seed),
      'dev.wayfarer.creator_nonce': 'AAECAwQFBgcICQoLDA0ODw',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const roomId = created.body.room_id;
    const create = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.create/?format=event`);
    expect(create.body.unsigned['org.matrix.msc4428.stable_id']).toBe(expectedKey);
    expect(create.body.content['dev.wayfarer.creator_nonce']).toBe('AAECAwQFBgcICQoLDA0ODw');
    const stolen = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, { 'dev.wayfarer.member_seed': encodeBase64(seed) });
    expect(stolen.status).toBe(400);
    expect(stolen.body.errcode).toBe('M_INVALID_PARAM');
    expect(stolen.body.error).toMatch(/another account/);
    const bobSeed = new Uint8Array(32).fill(9);
    const joined = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, { 'dev.wayfarer.member_seed': encodeBase64(bobSeed) });
    expect(joined.status).toBe(200);
    const bobMember = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId!)}?format=event`);
    expect(bobMember.body.unsigned['org.matrix.msc4428.stable_id_state_key']).toBe(
      memberIdFromPublicKey(keyPairFromSeed(bobSeed).publicKey),
    );
  });

  it('redacting a member event erases the localpart: the member shows as erased', async () => {
    const created = await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' });
    const roomId = created.body.room_id;
    await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {});
    const member = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(bob.userId!)}?format=event`);
    const bobKey = member.body.unsigned['org.matrix.msc4428.stable_id_state_key'];
    expect((await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(member.body.event_id)}/erase`, {})).status).toBe(200);
    const members = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`);
    const info = members.body['org.matrix.msc4428.member_info'][bobKey];
    expect(info.user_id).toBeNull();
    expect(info['dev.wayfarer.link'].status).toBe('erased');
    const erased = members.body.chunk.find((e: any) => e.unsigned['org.matrix.msc4428.stable_id_state_key'] === bobKey);
    expect(erased.state_key).toMatch(new RegExp(`^@_erased_.*:${SERVER.replace('.', '\\.')}$`));
    expect(erased.content.localpart).toBeUndefined();
    expect(erased.content.domain).toBe(SERVER);
  });
});

describe('history visibility and tags', () => {
  it('"joined" history visibility hides what came before a member joined', async () => {
    const created = await alice.post('/_matrix/client/v3/createRoom', {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }],
    });
    const roomId = created.body.room_id;
    const secret = await send(alice, roomId, 'before carol joined');
    await carol.post(`/_matrix/client/v3/join/${enc(roomId)}`, {});
    const after = await send(alice, roomId, 'after carol joined');
    const history = await carol.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
    const ids = history.body.chunk.map((e: any) => e.event_id);
    expect(ids).toContain(after);
    expect(ids).not.toContain(secret);
    expect((await carol.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(secret)}`)).status).toBe(404);
    const initial = await sync(carol);
    expect(initial.rooms.join[roomId].timeline.events.map((e: any) => e.event_id)).not.toContain(secret);
    // Alice, who was there, still sees it.
    const aliceHistory = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
    expect(aliceHistory.body.chunk.map((e: any) => e.event_id)).toContain(secret);
  });

  it('stores room tags and reports them as m.tag room account data', async () => {
    const created = await alice.post('/_matrix/client/v3/createRoom', {});
    const roomId = created.body.room_id;
    const base = await sync(alice);
    const me = enc(alice.userId!);
    expect((await alice.put(`/_matrix/client/v3/user/${me}/rooms/${enc(roomId)}/tags/m.favourite`, { order: 0.5 })).status).toBe(200);
    const tags = await alice.get(`/_matrix/client/v3/user/${me}/rooms/${enc(roomId)}/tags`);
    assertMatchesSpec('/user/{userId}/rooms/{roomId}/tags', 'get', 200, tags.body);
    expect(tags.body.tags).toEqual({ 'm.favourite': { order: 0.5 } });
    const next = await sync(alice, `since=${base.next_batch}`);
    expect(next.rooms.join[roomId].account_data.events).toContainEqual({
      type: 'm.tag',
      content: { tags: { 'm.favourite': { order: 0.5 } } },
    });
  });
});

describe('directory and media', () => {
  it('lists public rooms (GET and POST with a search term)', async () => {
    const created = await alice.post('/_matrix/client/v3/createRoom', {
      visibility: 'public',
      name: 'Lobby of Wayfarer',
      preset: 'public_chat',
    });
    const listed = await alice.get('/_matrix/client/v3/publicRooms');
    assertMatchesSpec('/publicRooms', 'get', 200, listed.body);
    expect(listed.body.chunk.map((r: any) => r.room_id)).toContain(created.body.room_id);
    const searched = await alice.post('/_matrix/client/v3/publicRooms', { filter: { generic_search_term: 'lobby' } });
    assertMatchesSpec('/publicRooms', 'post', 200, searched.body);
    expect(searched.body.chunk.map((r: any) => r.name)).toEqual(['Lobby of Wayfarer']);
    const joinedRooms = await alice.get('/_matrix/client/v3/joined_rooms');
    assertMatchesSpec('/joined_rooms', 'get', 200, joinedRooms.body);
    expect(joinedRooms.body.joined_rooms).toContain(created.body.room_id);
  });

  it('uploads and downloads media with the content type kept, and enforces auth on v1', async () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const upload = await fetch(`${server.baseUrl}/_matrix/media/v3/upload?filename=pic.png`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'image/png' },
      body: bytes,
    });
    const { content_uri } = await upload.json();
    expect(content_uri).toMatch(new RegExp(`^mxc://${SERVER}/`));
    const [serverName, mediaId] = content_uri.slice('mxc://'.length).split('/');
    const download = await fetch(`${server.baseUrl}/_matrix/client/v1/media/download/${serverName}/${mediaId}`, {
      headers: { Authorization: `Bearer ${bob.accessToken}` },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
    const thumb = await fetch(`${server.baseUrl}/_matrix/client/v1/media/thumbnail/${serverName}/${mediaId}?width=32&height=32`, {
      headers: { Authorization: `Bearer ${bob.accessToken}` },
    });
    expect(thumb.headers.get('content-type')).toBe('image/png');
    const anonymous = await fetch(`${server.baseUrl}/_matrix/client/v1/media/download/${serverName}/${mediaId}`);
    expect(anonymous.status).toBe(401);
    const missing = await fetch(`${server.baseUrl}/_matrix/client/v1/media/download/${serverName}/nope`, {
      headers: { Authorization: `Bearer ${bob.accessToken}` },
    });
    expect(missing.status).toBe(404);
  });
});

describe('member event history (?history=true), on its own server', () => {
  const HISTORY_SERVER = 'alpha.localhost:19700';
  let historyServer: RunningHomeserver;
  let dora: TestClient;
  let erin: TestClient;
  let roomId: string;
  let doraKey: string;
  const memberEventPath = (query = '') => `/_matrix/client/unstable/dev.wayfarer/rooms/${enc(roomId)}/member_event/${enc(doraKey)}${query}`;
  const rename = async (name: string) => {
    const reply = await dora.put(`/_matrix/client/v3/profile/${enc(dora.userId!)}/displayname`, { displayname: name });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  };

  beforeAll(async () => {
    historyServer = await startHomeserver({ serverName: HISTORY_SERVER });
    dora = await new TestClient(historyServer.baseUrl).register('dora');
    erin = await new TestClient(historyServer.baseUrl).register('erin');
    roomId = (await dora.post('/_matrix/client/v3/createRoom', { name: 'history' })).body.room_id;
    const members = await dora.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`);
    doraKey = members.body.chunk[0].unsigned['org.matrix.msc4428.stable_id_state_key'];
  });
  afterAll(() => historyServer?.dispose());

  it('lists every member event of the key, oldest first, in federation format; the plain answer is unchanged', async () => {
    await rename('Dora One');
    await rename('Dora Two');
    const reply = await dora.get(memberEventPath('?history=true'));
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const history = reply.body.history as any[];
    expect(history).toHaveLength(3);
    expect(history[0].content.membership).toBe('join');
    expect(history.map((e) => e.content.displayname).slice(1)).toEqual(['Dora One', 'Dora Two']);
    for (const event of history) {
      expect(event.state_key).toBe(doraKey);
      expect(event.event_id).toBeUndefined();
      expect(event.hashes.sha256).toEqual(expect.any(String));
      // Co-signed by the member key and by the server of the claimed domain.
      expect(Object.keys(event.signatures).sort()).toEqual([HISTORY_SERVER, doraKey].sort());
    }
    const ids = history.map((e) => computeEventId(e, 'org.matrix.12.4430'));
    expect(new Set(ids).size).toBe(3);
    const plain = await dora.get(memberEventPath());
    expect(plain.status).toBe(200);
    expect(plain.body).toEqual(history[2]);
    expect(reply.body.event).toEqual(plain.body);
    expect(plain.body.history).toBeUndefined();
    const current = await dora.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(dora.userId!)}?format=event`);
    expect(current.body.event_id).toBe(ids[2]);
  });

  it('caps the history at the latest 100 events, still oldest first', async () => {
    for (let i = 0; i < 100; i += 1) await rename(`Dora ${i}`);
    const reply = await dora.get(memberEventPath('?history=true'));
    expect(reply.status).toBe(200);
    const names = (reply.body.history as any[]).map((e) => e.content.displayname);
    expect(names).toHaveLength(100);
    expect(names[0]).toBe('Dora 0');
    expect(names[99]).toBe('Dora 99');
    expect(reply.body.event.content.displayname).toBe('Dora 99');
  });

  it('refuses a requester who is not in the room, with or without history', async () => {
    for (const query of ['', '?history=true']) {
      const reply = await erin.get(memberEventPath(query));
      expect(reply.status).toBe(403);
      expect(reply.body.errcode).toBe('M_FORBIDDEN');
    }
  });
});
