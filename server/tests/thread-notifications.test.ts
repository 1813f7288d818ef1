// Threaded notifications over real HTTP, checked against the spec's OpenAPI (v1.4: MSC3773 counts, MSC3771 receipts),
// in a classic and a member-key room: with `unread_thread_notifications` in the timeline filter, /sync gives the
// main timeline's counts in `unread_notifications` and each thread's in `unread_thread_notifications`; without it,
// one count for everything. A receipt with `thread_id` ('main' or a root) reads only that thread, an unthreaded one
// reads everything up to its event; a thread_id that is empty, not a string, or not the event's thread is a 400.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { expectOk as ok, serverWithUsers } from '../testing/one-server';
import { enc, type TestClient } from '../testing/http-client';
import { assertMatchesSpec } from '../testing/openapi';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const fixture = serverWithUsers('alpha.localhost:24801', ['alice', 'bob']);
let alice: TestClient;
let bob: TestClient;
beforeAll(() => ({ alice, bob } = fixture));

const THREADED = encodeURIComponent(JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }));

async function sync(client: TestClient, threaded: boolean) {
  const reply = await client.get(`/_matrix/client/v3/sync${threaded ? `?filter=${THREADED}` : ''}`);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  assertMatchesSpec('/sync', 'get', 200, reply.body);
  return reply.body;
}
/** The room's counts as a thread-aware client sees them: main timeline, and the threads that have any. */
async function threadedUnread(client: TestClient, roomId: string) {
  const room = (await sync(client, true)).rooms.join[roomId];
  return { main: room.unread_notifications.notification_count, threads: room.unread_thread_notifications ?? {} };
}
const totalUnread = async (client: TestClient, roomId: string) => (await sync(client, false)).rooms.join[roomId].unread_notifications;

let txn = 0;
async function say(client: TestClient, roomId: string, body: string, extra: Record<string, unknown> = {}) {
  const reply = await client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/tn${txn++}`, {
    msgtype: 'm.text',
    body,
    ...extra,
  });
  return ok(reply).event_id as string;
}
const inThread = (root: string) => ({ 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
const receipt = (client: TestClient, roomId: string, eventId: string, body: Record<string, unknown>, type = 'm.read') =>
  client.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/${type}/${enc(eventId)}`, body);
async function expectReceiptOk(client: TestClient, roomId: string, eventId: string, body: Record<string, unknown>) {
  const reply = await receipt(client, roomId, eventId, body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  assertMatchesSpec('/rooms/{roomId}/receipt/{receiptType}/{eventId}', 'post', 200, reply.body);
}

async function newRoom(version: string): Promise<string> {
  const roomId = ok(
    await alice.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'private_chat', invite: [bob.userId] }),
  ).room_id as string;
  ok(await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
  return roomId;
}

for (const version of ['11', 'org.matrix.12.4430']) {
  describe(`room version ${version}`, () => {
    it('counts each thread apart when asked, reads a thread with its own receipt, and everything with an unthreaded one', async () => {
      const roomId = await newRoom(version);
      const root = await say(bob, roomId, 'shall we plan the trip?');
      const firstReply = await say(bob, roomId, 'I can drive', inThread(root));
      const later = await say(bob, roomId, 'also: lunch today');

      expect(await threadedUnread(alice, roomId)).toEqual({
        main: 2,
        threads: { [root]: { notification_count: 1, highlight_count: 0 } },
      });
      expect(await totalUnread(alice, roomId)).toEqual({ notification_count: 3, highlight_count: 0 });

      // Reading the main timeline leaves the thread unread.
      await expectReceiptOk(alice, roomId, later, { thread_id: 'main' });
      expect(await threadedUnread(alice, roomId)).toEqual({ main: 0, threads: { [root]: { notification_count: 1, highlight_count: 0 } } });
      expect(await totalUnread(alice, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });

      // The receipt reaches the others with its thread.
      const ephemeral = (await sync(bob, true)).rooms.join[roomId].ephemeral.events;
      const receipts = ephemeral.find((e: { type: string }) => e.type === 'm.receipt');
      expect(receipts.content[later]['m.read'][alice.userId!].thread_id).toBe('main');

      // Reading the thread clears it; a new reply (naming alice: a highlight) makes it unread again, alone.
      await expectReceiptOk(alice, roomId, firstReply, { thread_id: root });
      expect(await threadedUnread(alice, roomId)).toEqual({ main: 0, threads: {} });
      const mention = await say(bob, roomId, 'alice, you navigate', {
        ...inThread(root),
        'm.mentions': { user_ids: [alice.userId] },
      });
      expect(await threadedUnread(alice, roomId)).toEqual({ main: 0, threads: { [root]: { notification_count: 1, highlight_count: 1 } } });
      expect(await totalUnread(alice, roomId)).toEqual({ notification_count: 1, highlight_count: 1 });

      // An unthreaded receipt reads everything up to its event, threads included.
      await say(bob, roomId, 'main again');
      await expectReceiptOk(alice, roomId, mention, {});
      expect(await threadedUnread(alice, roomId)).toEqual({ main: 1, threads: {} });
    });

    it('sending reads only the thread sent in', async () => {
      const roomId = await newRoom(version);
      const root = await say(bob, roomId, 'root');
      await say(bob, roomId, 'a reply', inThread(root));
      await say(bob, roomId, 'main message');
      expect(await threadedUnread(alice, roomId)).toEqual({ main: 2, threads: { [root]: { notification_count: 1, highlight_count: 0 } } });
      await say(alice, roomId, 'my answer', inThread(root));
      expect(await threadedUnread(alice, roomId)).toEqual({ main: 2, threads: {} });
      await say(alice, roomId, 'and in the room');
      expect(await threadedUnread(alice, roomId)).toEqual({ main: 0, threads: {} });
    });

    it("refuses a thread_id that is empty, not a string, for m.fully_read, or not the event's thread", async () => {
      const roomId = await newRoom(version);
      const root = await say(bob, roomId, 'root');
      const threadReply = await say(bob, roomId, 'in the thread', inThread(root));
      const main = await say(bob, roomId, 'main');
      const refusals: [string, Record<string, unknown>, string?][] = [
        [main, { thread_id: '' }],
        [main, { thread_id: 42 }],
        [main, { thread_id: root }],
        [threadReply, { thread_id: 'main' }],
        [threadReply, { thread_id: main }],
        [main, { thread_id: 'main' }, 'm.fully_read'],
      ];
      for (const [eventId, body, type] of refusals) {
        const reply = await receipt(alice, roomId, eventId, body, type);
        expect(reply.status, `${JSON.stringify(body)} ${type ?? ''}`).toBe(400);
        expect(reply.body.errcode).toBe('M_INVALID_PARAM');
        assertMatchesSpec('/rooms/{roomId}/receipt/{receiptType}/{eventId}', 'post', 400, reply.body);
      }
      // None of them read anything.
      expect(await threadedUnread(alice, roomId)).toEqual({ main: 2, threads: { [root]: { notification_count: 1, highlight_count: 0 } } });
      // A root heads its thread: a receipt on it in the thread's name is taken (and reads nothing after it).
      await expectReceiptOk(alice, roomId, root, { thread_id: root });
      await expectReceiptOk(alice, roomId, root, { thread_id: 'main' });
      expect(await threadedUnread(alice, roomId)).toEqual({ main: 1, threads: { [root]: { notification_count: 1, highlight_count: 0 } } });
    });
  });
}
