// POST /search over real HTTP against a spawned homeserver, in both room versions: rank and recent order,
// next_batch pages, room and sender filters, what a user may not see (other rooms, hidden history, after a leave,
// redacted or encrypted events), context with profiles, bad input, a restart, and matrix-js-sdk's searchRoomEvents.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient } from 'matrix-js-sdk';
import { logger } from 'matrix-js-sdk/lib/logger';
import type { Logger as LogLevelLogger } from 'loglevel';
import type { RunningHomeserver } from '../testing/spawn';
import { expectOk as ok, serverWithUsers } from '../testing/one-server';
import { enc, TestClient } from '../testing/http-client';
import { assertMatchesSpec } from '../testing/openapi';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
(logger as unknown as LogLevelLogger).setLevel('silent');

const SERVER = 'alpha.localhost:20700';
const fixture = serverWithUsers(SERVER, ['alice', 'bob', 'carol']);
let server: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;
let carol: TestClient;
beforeAll(() => ({ server, alice, bob, carol } = fixture));

let txn = 0;
const send = async (client: TestClient, roomId: string, body: string, type = 'm.room.message') =>
  ok(
    await client.put(
      `/_matrix/client/v3/rooms/${enc(roomId)}/send/${type}/t${++txn}`,
      type === 'm.room.message' ? { msgtype: 'm.text', body } : body,
    ),
  ).event_id as string;
const createRoom = async (version: string, extra: Record<string, unknown> = {}) =>
  ok(await alice.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat', ...extra })).room_id as string;
const join = async (client: TestClient, roomId: string) => ok(await client.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));

/** One page of room_events results, checked against the spec's schema. */
async function search(client: TestClient, criteria: Record<string, unknown>, nextBatch?: string) {
  const body = ok(
    await client.post(`/_matrix/client/v3/search${nextBatch ? `?next_batch=${enc(nextBatch)}` : ''}`, {
      search_categories: { room_events: criteria },
    }),
  );
  assertMatchesSpec('/search', 'post', 200, body);
  return body.search_categories.room_events;
}
const bodies = (page: any) => page.results.map((r: any) => r.result.content.body as string);

/** Every result, page by page, following next_batch. */
async function searchAll(client: TestClient, criteria: Record<string, unknown>) {
  const all: any[] = [];
  let next: string | undefined;
  for (let page = 0; page < 50; page++) {
    const reply = await search(client, criteria, next);
    all.push(...reply.results);
    if (!reply.next_batch) return all;
    next = reply.next_batch;
  }
  throw new Error('search pagination did not end');
}

for (const version of ['11', 'org.matrix.12.4430']) {
  describe(`room version ${version}`, () => {
    // A word of this block's own in every message and term, so the two room versions' rooms don't find each other's.
    const tag = version === '11' ? 'classicroom' : 'keyroom';
    let roomId: string;
    let otherRoomId: string;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      roomId = await createRoom(version, { name: `Garden club ${tag}`, topic: `Tomatoes and garden talk ${tag}` });
      await join(bob, roomId);
      ids.a1 = await send(alice, roomId, `the tomato harvest is early this year ${tag}`);
      ids.b1 = await send(bob, roomId, `Tomato tomato tomato! ${tag}`);
      ids.a2 = await send(alice, roomId, `watering schedule for the garden ${tag}`);
      ids.b2 = await send(bob, roomId, `my tomatoes split after rain ${tag}`);
      // Alice's own room that Bob is not in.
      otherRoomId = await createRoom(version);
      ids.secret = await send(alice, otherRoomId, `tomato secret recipe ${tag}`);
    });

    it('finds by rank (closest first) and by recent (newest first), with count and highlights', async () => {
      const ranked = await search(bob, { search_term: `tomato ${tag}`, keys: ['content.body'] });
      expect(ranked.count).toBe(3);
      expect(bodies(ranked)[0]).toBe(`Tomato tomato tomato! ${tag}`);
      expect(ranked.results.map((r: any) => r.rank)).toEqual([...ranked.results.map((r: any) => r.rank)].sort((a, b) => b - a));
      expect(ranked.highlights).toEqual(expect.arrayContaining(['tomato', 'tomatoes']));

      const recent = await search(bob, { search_term: `tomato ${tag}`, keys: ['content.body'], order_by: 'recent' });
      expect(recent.results.map((r: any) => r.result.event_id)).toEqual([ids.b2, ids.b1, ids.a1]);
    });

    it('searches names and topics too, by default, and only the keys asked for', async () => {
      const all = await search(bob, { search_term: `garden ${tag}`, order_by: 'recent' });
      expect(all.results.map((r: any) => r.result.type).sort()).toEqual(['m.room.message', 'm.room.name', 'm.room.topic']);
      const topics = await search(bob, { search_term: `garden ${tag}`, keys: ['content.topic'] });
      expect(topics.results.map((r: any) => r.result.content.topic)).toEqual([`Tomatoes and garden talk ${tag}`]);
    });

    it('pages with next_batch in both orders, each result once', async () => {
      for (const order_by of ['rank', 'recent']) {
        const first = await search(bob, { search_term: `tomato ${tag}`, order_by, filter: { limit: 2 } });
        expect(first.results).toHaveLength(2);
        expect(first.next_batch).toBeTypeOf('string');
        const all = await searchAll(bob, { search_term: `tomato ${tag}`, order_by, filter: { limit: 2 } });
        const eventIds = all.map((r) => r.result.event_id);
        expect(new Set(eventIds).size).toBe(eventIds.length);
        expect(eventIds.filter((id) => [ids.a1, ids.b1, ids.b2].includes(id)).sort()).toEqual([ids.a1, ids.b1, ids.b2].sort());
      }
    });

    it('filters by rooms, not_rooms and senders (as clients see the sender)', async () => {
      const mine = await search(alice, { search_term: `tomato ${tag}`, keys: ['content.body'], order_by: 'recent' });
      expect(mine.results.map((r: any) => r.result.event_id)).toEqual([ids.secret, ids.b2, ids.b1, ids.a1]);
      const onlyOther = await search(alice, { search_term: `tomato ${tag}`, filter: { rooms: [otherRoomId] } });
      expect(onlyOther.results.map((r: any) => r.result.event_id)).toEqual([ids.secret]);
      const notOther = await search(alice, { search_term: `tomato ${tag}`, keys: ['content.body'], filter: { not_rooms: [otherRoomId] } });
      expect(notOther.count).toBe(3);
      const bobId = `@bob:${SERVER}`;
      const bySender = await search(alice, {
        search_term: `tomato ${tag}`,
        keys: ['content.body'],
        order_by: 'recent',
        filter: { senders: [bobId] },
      });
      expect(bySender.results.map((r: any) => r.result.event_id)).toEqual([ids.b2, ids.b1]);
      expect(bySender.results.every((r: any) => r.result.sender === bobId)).toBe(true);
    });

    it('never shows a room the user is not in, nor messages after they left', async () => {
      expect(bodies(await search(bob, { search_term: `secret ${tag}` }))).toEqual([]);
      expect(bodies(await search(carol, { search_term: `tomato ${tag}` }))).toEqual([]);
      // Bob asks for the room outright: still nothing.
      expect((await search(bob, { search_term: `recipe ${tag}`, filter: { rooms: [otherRoomId] } })).count).toBe(0);

      const room = await createRoom(version);
      await join(carol, room);
      await send(alice, room, `lettuce before the leave ${tag}`);
      ok(await carol.post(`/_matrix/client/v3/rooms/${enc(room)}/leave`, {}));
      await send(alice, room, `lettuce after the leave ${tag}`);
      expect(bodies(await search(carol, { search_term: `lettuce ${tag}` }))).toEqual([`lettuce before the leave ${tag}`]);
    });

    it('applies history visibility per event', async () => {
      const room = await createRoom(version);
      ok(await alice.put(`/_matrix/client/v3/rooms/${enc(room)}/state/m.room.history_visibility/`, { history_visibility: 'joined' }));
      await send(alice, room, `radish before carol joined ${tag}`);
      await join(carol, room);
      await send(alice, room, `radish after carol joined ${tag}`);
      expect(bodies(await search(carol, { search_term: `radish ${tag}` }))).toEqual([`radish after carol joined ${tag}`]);
      expect((await search(alice, { search_term: `radish ${tag}` })).count).toBe(2);
    });

    it('drops redacted messages, and never indexes encrypted ones', async () => {
      const room = await createRoom(version);
      const gone = await send(alice, room, `pumpkin that will be redacted ${tag}`);
      await send(alice, room, `pumpkin that stays ${tag}`);
      await send(
        alice,
        room,
        { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'pumpkin', body: `pumpkin ${tag}` } as never,
        'm.room.encrypted',
      );
      expect((await search(alice, { search_term: `pumpkin ${tag}` })).count).toBe(2);
      ok(await alice.put(`/_matrix/client/v3/rooms/${enc(room)}/redact/${enc(gone)}/r${++txn}`, { reason: 'oops' }));
      expect(bodies(await search(alice, { search_term: `pumpkin ${tag}` }))).toEqual([`pumpkin that stays ${tag}`]);
    });

    it('gives the events around a result and the senders’ profiles at the time', async () => {
      const page = await search(bob, {
        search_term: `watering ${tag}`,
        event_context: { before_limit: 1, after_limit: 1, include_profile: true },
      });
      expect(page.results).toHaveLength(1);
      const { context } = page.results[0];
      expect(context.events_before.map((e: any) => e.event_id)).toEqual([ids.b1]);
      expect(context.events_after.map((e: any) => e.event_id)).toEqual([ids.b2]);
      expect(Object.keys(context.profile_info).sort()).toEqual([`@alice:${SERVER}`, `@bob:${SERVER}`]);
      expect(context.profile_info[`@bob:${SERVER}`].displayname).toBe('bob');
      expect(context.start).toBeTypeOf('string');
      expect(context.end).toBeTypeOf('string');
    });
  });
}

describe('bad input', () => {
  const post = (body: unknown, query = '') => alice.post(`/_matrix/client/v3/search${query}`, body);
  const expect400 = async (reply: Promise<{ status: number; body: any }>, errcode: string, text: RegExp) => {
    const { status, body } = await reply;
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.errcode).toBe(errcode);
    expect(body.error).toMatch(text);
  };

  it('refuses an empty term, unknown categories, keys and orders, and foreign batch tokens', async () => {
    await expect400(post({ search_categories: { room_events: { search_term: '' } } }), 'M_INVALID_PARAM', /at least one word/);
    await expect400(post({ search_categories: { room_events: { search_term: ' !? ' } } }), 'M_INVALID_PARAM', /at least one word/);
    await expect400(post({ search_categories: { room_events: {} } }), 'M_MISSING_PARAM', /search_term/);
    await expect400(post({ search_categories: { people: { search_term: 'x' } } }), 'M_INVALID_PARAM', /Unknown search category: people/);
    await expect400(
      post({ search_categories: { room_events: { search_term: 'x', keys: ['content.url'] } } }),
      'M_INVALID_PARAM',
      /Unknown search key/,
    );
    await expect400(post({ search_categories: { room_events: { search_term: 'x', order_by: 'oldest' } } }), 'M_INVALID_PARAM', /order_by/);
    await expect400(
      post({ search_categories: { room_events: { search_term: 'x' } } }, '?next_batch=garbage'),
      'M_INVALID_PARAM',
      /next_batch/,
    );
    await expect400(
      post({ search_categories: { room_events: { search_term: 'x', order_by: 'recent' } } }, '?next_batch=rank:2'),
      'M_INVALID_PARAM',
      /next_batch/,
    );
    await expect400(
      post({ search_categories: { room_events: { search_term: 'x', event_context: { before_limit: -1 } } } }),
      'M_INVALID_PARAM',
      /before_limit/,
    );
    await expect400(post({}), 'M_MISSING_PARAM', /search_categories/);
    const unauthenticated = await new TestClient(server.baseUrl).post('/_matrix/client/v3/search', { search_categories: {} });
    expect(unauthenticated.status).toBe(401);
  });

  it('reads FTS5 operators in a term as plain words', async () => {
    const page = await search(alice, { search_term: 'tomato OR NEAR( "secret' });
    expect(page.count).toBe(0);
  });
});

describe('persistence and other clients', () => {
  it('keeps the index across a restart', async () => {
    const room = await createRoom('org.matrix.12.4430');
    await send(alice, room, 'durable zucchini');
    await server.stop();
    await server.restart();
    expect(bodies(await search(alice, { search_term: 'zucchini' }))).toEqual(['durable zucchini']);
    await send(alice, room, 'zucchini after the restart');
    expect((await search(alice, { search_term: 'zucchini' })).count).toBe(2);
  });

  it("works with matrix-js-sdk's searchRoomEvents and backPaginateRoomEventsSearch", async () => {
    const room = await createRoom('org.matrix.12.4430');
    for (let i = 0; i < 12; i++) await send(alice, room, `cucumber number ${i}`);
    const whoami = ok(await alice.get('/_matrix/client/v3/account/whoami'));
    const client = createClient({ baseUrl: server.baseUrl, accessToken: alice.accessToken, userId: whoami.user_id });
    const first = await client.searchRoomEvents({ term: 'cucumber', filter: { rooms: [room] } });
    expect(first.count).toBe(12);
    expect(first.results).toHaveLength(10);
    expect(first.results[0]!.context.getEvent().getContent().body).toBe('cucumber number 11');
    expect(first.highlights).toContain('cucumber');
    const more = await client.backPaginateRoomEventsSearch(first);
    expect(more.results.map((r) => r.context.getEvent().getContent().body)).toEqual(
      Array.from({ length: 12 }, (_, i) => `cucumber number ${11 - i}`),
    );
    expect(more.next_batch).toBeUndefined();
  });
});
