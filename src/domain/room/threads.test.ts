// Thread summaries over a real matrix-js-sdk client with thread support and a Room fed in-memory events (no server):
// replies leave the room's rows and land in their thread; the summary under the root counts them, names the last
// reply's sender and the participants through the room's identity function (name and verified handle), and takes
// the thread's unread count from the SDK; the thread view shows the root, then the replies.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, MatrixEvent, NotificationCountType, PendingEventOrdering, Room, type MatrixClient } from 'matrix-js-sdk';
import { createChatStore } from '../../state/chatStore';
import { createIdentityStore } from '../identity/identityStore';
import { createRoomViewModel, type RoomViewModel } from './roomViewModel';
import { createThreadsModel, createThreadViewModel, type ThreadsModel } from './threads';

const ROOM = '!threads:x';
const me = '@carol:gamma';
const keyAlice = 'l8Hft5qXKn1v-Hrg3p4_W8gELQVo8N13JkluMfmn2sQ';
const keyBob = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaE';
const users: Record<string, string> = { [keyAlice]: '@alice:alpha', [keyBob]: '@bob:beta' };
const noon = Date.UTC(2026, 2, 3, 12, 0, 0);
const stableIds = (key: string) => ({ 'org.matrix.msc4428.stable_id_state_key': `@${key}`, 'org.matrix.msc4428.stable_id': `@${key}` });

function member(key: string, name: string) {
  const userId = users[key]!;
  const [localpart, domain] = userId.slice(1).split(':');
  return new MatrixEvent({
    type: 'm.room.member',
    event_id: `$member-${key}`,
    room_id: ROOM,
    sender: userId,
    state_key: userId,
    origin_server_ts: noon - 60_000,
    content: { membership: 'join', displayname: name, localpart, domain },
    unsigned: stableIds(key),
  });
}

let counter = 0;
function message(key: string, body: string, threadRoot?: string) {
  counter++;
  return new MatrixEvent({
    type: 'm.room.message',
    event_id: `$t${counter}`,
    room_id: ROOM,
    sender: users[key]!,
    origin_server_ts: noon + counter * 1000,
    content: { msgtype: 'm.text', body, ...(threadRoot ? { 'm.relates_to': { rel_type: 'm.thread', event_id: threadRoot } } : {}) },
    unsigned: { 'org.matrix.msc4428.stable_id': `@${key}` },
  });
}

const linkInfo = (key: string) => {
  const [localpart, domain] = users[key]!.slice(1).split(':');
  return { [`@${key}`]: { user_id: users[key], 'dev.wayfarer.link': { status: 'verified', localpart, domain, checked_ts: 1 } } };
};

describe('threads', () => {
  let client: MatrixClient;
  let room: Room;
  let vm: RoomViewModel;
  let threads: ThreadsModel;

  beforeEach(() => {
    client = createClient({
      baseUrl: 'http://hs.invalid',
      userId: me,
      accessToken: 'token',
      fetchFn: async () => Response.json({ errcode: 'M_UNKNOWN', error: 'no server in this test' }, { status: 500 }),
    });
    // What startClient({ threadSupport: true }) sets (src/matrix/client.ts), without starting a sync.
    (client as unknown as { clientOpts: object }).clientOpts = { threadSupport: true };
    room = new Room(ROOM, client, me, { pendingEventOrdering: PendingEventOrdering.Detached });
    client.store.storeRoom(room);
    room.currentState.setStateEvents([member(keyAlice, 'Alice'), member(keyBob, 'Bob')]);
    const identity = createIdentityStore();
    identity.getState().ingestMemberInfo(ROOM, { ...linkInfo(keyAlice), ...linkInfo(keyBob) }, true);
    vm = createRoomViewModel({ client, room, chat: createChatStore(), identity });
    threads = createThreadsModel(room, vm);
  });

  afterEach(() => {
    threads.dispose();
    vm.dispose();
    client.stopClient();
  });

  it('keeps replies out of the room, and sums them up under the root with people through the identity function', async () => {
    const root = message(keyAlice, 'plan the trip?');
    await room.addLiveEvents([root, message(keyAlice, 'main chat')], { addToState: false });
    await room.addLiveEvents([message(keyBob, 'I can drive', root.getId()!), message(keyAlice, 'great', root.getId()!)], {
      addToState: false,
    });
    await new Promise((resolve) => setTimeout(resolve, 0));

    const bodies = vm
      .getState()
      .rows.flatMap((r) => (r.kind === 'message' ? [r.content.body] : []))
      .filter(Boolean);
    expect(bodies).toEqual(['plan the trip?', 'main chat']);

    const summary = threads.getState().summaries.get(root.getId()!);
    expect(summary?.count).toBe(2);
    expect(summary?.latest?.text).toBe('great');
    expect([summary?.latest?.profile.name, summary?.latest?.profile.handleLabel]).toEqual(['Alice', '@alice:alpha']);
    expect(summary?.participants.map((p) => [p.name, p.handleLabel])).toEqual([
      ['Alice', '@alice:alpha'],
      ['Bob', '@bob:beta'],
    ]);
    expect(summary?.unread).toBe(0);

    // The server's per-thread count (unread_thread_notifications) shows on the summary.
    room.setThreadUnreadNotificationCount(root.getId()!, NotificationCountType.Total, 1);
    expect(threads.getState().summaries.get(root.getId()!)?.unread).toBe(1);
    room.resetThreadUnreadNotificationCountFromSync();
    expect(threads.getState().summaries.get(root.getId()!)?.unread).toBe(0);

    const view = createThreadViewModel(client, room, root.getId()!, vm);
    const shown = view.getState().rows.flatMap((r) => (r.kind === 'message' ? [[r.content.body, r.profile.name, r.startsGroup]] : []));
    expect(shown).toEqual([
      ['plan the trip?', 'Alice', true],
      ['I can drive', 'Bob', true],
      ['great', 'Alice', true],
    ]);
    view.dispose();
  });
});
