// History visibility judged per event, over real HTTP in both room versions: the setting in force at each event
// and the reader's membership at it decide, in /messages (both ways), /context, /event and /sync timelines.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import { expectOk as ok, serverWithUsers } from '../testing/one-server';
import { enc, type TestClient } from '../testing/http-client';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const SERVER = 'alpha.localhost:20450';
const fixture = serverWithUsers(SERVER, ['alice', 'bob', 'carol', 'dave']);
let server: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;
let carol: TestClient;
let dave: TestClient;
beforeAll(() => ({ server, alice, bob, carol, dave } = fixture));

const send = async (client: TestClient, roomId: string, body: string) =>
  ok(await client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t${Math.random()}`, { msgtype: 'm.text', body }))
    .event_id as string;
const setVisibility = (roomId: string, history_visibility: string) =>
  alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.history_visibility/`, { history_visibility }).then(ok);
const texts = (events: any[]) => events.filter((e) => e.type === 'm.room.message').map((e) => e.content.body as string);

/** Every message the client can page back to, oldest first, a small page at a time (tokens across hidden runs). */
async function pageBack(client: TestClient, roomId: string): Promise<any[]> {
  const events: any[] = [];
  let from: string | undefined;
  for (let page = 0; page < 50; page++) {
    const reply = ok(await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=3${from ? `&from=${from}` : ''}`));
    events.push(...reply.chunk);
    if (!reply.end) return events.reverse();
    from = reply.end;
  }
  throw new Error('pagination did not end');
}

async function pageForward(client: TestClient, roomId: string): Promise<any[]> {
  const events: any[] = [];
  let from: string | undefined;
  for (let page = 0; page < 50; page++) {
    const reply = ok(await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=f&limit=3${from ? `&from=${from}` : ''}`));
    events.push(...reply.chunk);
    if (!reply.end || reply.chunk.length === 0) return events;
    from = reply.end;
  }
  throw new Error('pagination did not end');
}

for (const version of ['11', 'org.matrix.12.4430']) {
  describe(`room version ${version}`, () => {
    describe('shared → A → joined → B → bob joins → C → shared → D', () => {
      let roomId: string;
      const ids: Record<string, string> = {};

      beforeAll(async () => {
        roomId = ok(await alice.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat' })).room_id;
        await setVisibility(roomId, 'shared');
        for (const n of [1, 2]) ids[`A${n}`] = await send(alice, roomId, `A${n}`);
        await setVisibility(roomId, 'joined');
        for (const n of [1, 2, 3, 4]) ids[`B${n}`] = await send(alice, roomId, `B${n}`);
        ok(await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
        for (const n of [1, 2]) ids[`C${n}`] = await send(alice, roomId, `C${n}`);
        await setVisibility(roomId, 'shared');
        for (const n of [1, 2]) ids[`D${n}`] = await send(alice, roomId, `D${n}`);
      });

      it('bob pages back to A, C, D (not B), across the hidden run, with small pages', async () => {
        expect(texts(await pageBack(bob, roomId))).toEqual(['A1', 'A2', 'C1', 'C2', 'D1', 'D2']);
        // Alice, joined all along, sees everything.
        expect(texts(await pageBack(alice, roomId))).toEqual(['A1', 'A2', 'B1', 'B2', 'B3', 'B4', 'C1', 'C2', 'D1', 'D2']);
      });

      it('bob pages forward from the start the same way', async () => {
        expect(texts(await pageForward(bob, roomId))).toEqual(['A1', 'A2', 'C1', 'C2', 'D1', 'D2']);
      });

      it('the visibility change that hid B is visible to bob; B is not', async () => {
        const all = await pageBack(bob, roomId);
        const settings = all.filter((e) => e.type === 'm.room.history_visibility').map((e) => e.content.history_visibility);
        // The preset's own shared, then the three changes.
        expect(settings).toEqual(['shared', 'shared', 'joined', 'shared']);
      });

      it('initial /sync with a big limit shows A, C, D; limited only while visible events are left behind', async () => {
        const big = ok(await bob.get(`/_matrix/client/v3/sync?filter=${enc(JSON.stringify({ room: { timeline: { limit: 100 } } }))}`));
        const timeline = big.rooms.join[roomId].timeline;
        expect(texts(timeline.events)).toEqual(['A1', 'A2', 'C1', 'C2', 'D1', 'D2']);
        expect(timeline.limited).toBe(false);
        const small = ok(
          await bob.get(
            `/_matrix/client/v3/sync?filter=${enc(JSON.stringify({ room: { timeline: { limit: 3 }, state: { lazy_load_members: true } } }))}`,
          ),
        );
        const page = small.rooms.join[roomId].timeline;
        expect(page.limited).toBe(true);
        // prev_batch continues right below the page, past the hidden run.
        const rest = ok(await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50&from=${page.prev_batch}`));
        expect(texts([...rest.chunk].reverse().concat(page.events))).toEqual(['A1', 'A2', 'C1', 'C2', 'D1', 'D2']);
      });

      it('incremental /sync after bob joins does not bring B', async () => {
        const since = ok(await bob.get('/_matrix/client/v3/sync?timeout=0')).next_batch;
        await send(alice, roomId, 'E1');
        const next = ok(await bob.get(`/_matrix/client/v3/sync?timeout=0&since=${since}`));
        expect(texts(next.rooms.join[roomId].timeline.events)).toEqual(['E1']);
      });

      it('/context around a C event skips B; /context and /event of a B event are 404 for bob', async () => {
        const context = ok(await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/context/${enc(ids.C1!)}?limit=20`));
        expect(texts(context.events_before).reverse()).toEqual(['A1', 'A2']);
        expect(texts(context.events_after).slice(0, 3)).toEqual(['C2', 'D1', 'D2']);
        expect((await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/context/${enc(ids.B2!)}`)).status).toBe(404);
        const hidden = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(ids.B2!)}`);
        expect(hidden.status).toBe(404);
        expect(hidden.body.errcode).toBe('M_NOT_FOUND');
        expect(ok(await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(ids.A1!)}`)).content.body).toBe('A1');
        expect(ok(await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(ids.B2!)}`)).content.body).toBe('B2');
      });
    });

    it('invited: carol sees events from her invite on once she joins, not before', async () => {
      const roomId = ok(await alice.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'private_chat' })).room_id;
      await setVisibility(roomId, 'invited');
      await send(alice, roomId, 'before invite');
      ok(await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: carol.userId }));
      await send(alice, roomId, 'while invited');
      ok(await carol.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
      await send(alice, roomId, 'after join');
      expect(texts(await pageBack(carol, roomId))).toEqual(['while invited', 'after join']);
      const initial = ok(await carol.get(`/_matrix/client/v3/sync?filter=${enc(JSON.stringify({ room: { timeline: { limit: 50 } } }))}`));
      expect(texts(initial.rooms.join[roomId].timeline.events)).toEqual(['while invited', 'after join']);
    });

    it('declining an invite reaches the invitee’s next /sync as a leave (their own leave is theirs to see)', async () => {
      const roomId = ok(await alice.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'private_chat' })).room_id;
      await send(alice, roomId, 'members talk');
      ok(await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: dave.userId }));
      const since = ok(await dave.get('/_matrix/client/v3/sync')).next_batch as string;
      ok(await dave.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {}));
      const next = ok(await dave.get(`/_matrix/client/v3/sync?since=${since}&timeout=0`));
      const left = next.rooms?.leave?.[roomId];
      expect(left, 'the declined room is in rooms.leave').toBeDefined();
      const events = left.timeline.events as any[];
      expect(events.map((e) => `${e.type}:${e.content.membership ?? ''}`)).toEqual(['m.room.member:leave']);
      expect(texts(events)).toEqual([]); // nothing else of the room
    });

    it('world_readable: a non-member reads /messages and /event; a later switch to joined hides only what follows', async () => {
      const roomId = ok(await alice.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat' })).room_id;
      await setVisibility(roomId, 'world_readable');
      const open = await send(alice, roomId, 'open to all');
      expect(texts(ok(await dave.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).chunk)).toEqual(['open to all']);
      expect(ok(await dave.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(open)}`)).content.body).toBe('open to all');
      await send(alice, roomId, 'still open');
      await setVisibility(roomId, 'joined');
      await send(alice, roomId, 'members only');
      // Dave is not in the room and it is no longer world-readable: he is refused; a new member sees the open part.
      expect((await dave.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b`)).status).toBe(403);
      ok(await dave.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
      expect(texts(await pageBack(dave, roomId))).toEqual(['open to all', 'still open']);
    });
  });
}
