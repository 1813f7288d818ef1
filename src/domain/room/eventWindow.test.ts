// The room view model's anchored window over a real matrix-js-sdk client and Room, with the server's /context and
// /messages answers stubbed at the client's HTTP call: an event far back shows with its neighbours in place of the
// live timeline; pages older and newer; newer pages join the live end; Jump to latest goes back; nothing is marked
// read while away from the live end; an event the server doesn't have is "missing".
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, MatrixEvent, PendingEventOrdering, Room, type IContextResponse, type MatrixClient } from 'matrix-js-sdk';
import { createChatStore } from '../../state/chatStore';
import { createIdentityStore } from '../identity/identityStore';
import { createRoomViewModel, type RoomViewModel } from './roomViewModel';

const ROOM = '!w:x';
const me = '@me:x';
const bob = '@bob:x';

const raw = (n: number) => ({
  type: 'm.room.message',
  event_id: `$m${n}`,
  room_id: ROOM,
  sender: bob,
  origin_server_ts: 1_000 + n,
  content: { msgtype: 'm.text', body: `message ${n}` },
});
const bodies = (vm: RoomViewModel) =>
  vm
    .getState()
    .rows.filter((r) => r.kind === 'message')
    .map((r) => (r.kind === 'message' ? String(r.content.body) : ''));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('anchored window', () => {
  let client: MatrixClient;
  let room: Room;
  let vm: RoomViewModel;
  let receipts: string[];

  beforeEach(async () => {
    client = createClient({ baseUrl: 'http://hs.invalid', userId: me });
    room = new Room(ROOM, client, me, { pendingEventOrdering: PendingEventOrdering.Detached });
    client.store.storeRoom(room);
    // The live timeline holds only the newest: messages 1000–1005 of a long room.
    await room.addLiveEvents(
      range(1000, 1005).map((n) => new MatrixEvent(raw(n))),
      { addToState: false },
    );
    receipts = [];
    vi.spyOn(client, 'setRoomReadMarkers').mockImplementation(async (_roomId, _marker, event) => {
      receipts.push(event?.getId() ?? '');
      return {};
    });
    // /context around message 10: 9 before, 10 after; /messages pages from tokens "b<n>" (older than n) and "f<n>" (newer than n).
    vi.spyOn(client.http, 'authedRequest').mockImplementation((async (_method: unknown, path: string) => {
      if (!path.includes('/context/')) throw new Error(`unexpected ${path}`);
      const id = decodeURIComponent(path.split('/').at(-1)!);
      if (id !== '$m10') throw Object.assign(new Error('Event not found'), { httpStatus: 404, errcode: 'M_NOT_FOUND' });
      const answer: Partial<IContextResponse> = {
        event: raw(10) as never,
        events_before: range(1, 9).reverse().map(raw) as never,
        events_after: range(11, 20).map(raw) as never,
        start: 'b1',
        end: 'f20',
        state: [],
      };
      return answer;
    }) as never);
    vi.spyOn(client, 'createMessagesRequest').mockImplementation(async (_roomId, from, limit = 30, dir) => {
      const at = Number(from!.slice(1));
      const page: Awaited<ReturnType<MatrixClient['createMessagesRequest']>> = { chunk: [], start: from! };
      if (dir === 'b') {
        const ns = range(Math.max(0, at - limit), at - 1).reverse(); // none before message 0
        page.chunk = ns.map(raw) as never;
        if (ns.length > 0) page.end = `b${ns.at(-1)}`;
      } else {
        const ns = range(at + 1, Math.min(1005, at + limit));
        page.chunk = ns.map(raw) as never;
        if (ns.length > 0) page.end = `f${ns.at(-1)}`;
      }
      return page;
    });
    vm = createRoomViewModel({ client, room, chat: createChatStore(), identity: createIdentityStore() });
  });

  afterEach(() => {
    vm.dispose();
    client.stopClient();
  });

  it('shows an event far back with its neighbours instead of the live end, and marks nothing read there', async () => {
    expect(bodies(vm)).toEqual(range(1000, 1005).map((n) => `message ${n}`));
    await vm.getState().showEvent('$m10');
    expect(vm.getState().focus).toEqual({ eventId: '$m10', status: 'found' });
    expect(vm.getState().anchored).toBe(true);
    expect(bodies(vm)).toEqual(range(1, 20).map((n) => `message ${n}`));
    await vm.getState().markRead();
    expect(receipts).toEqual([]);
    // New live messages don't show in the window.
    await room.addLiveEvents([new MatrixEvent(raw(1006))], { addToState: false });
    await settle();
    expect(bodies(vm)).not.toContain('message 1006');
  });

  it('pages older to the room start and newer until it joins the live end, then follows it', async () => {
    await vm.getState().showEvent('$m10');
    await vm.getState().loadOlder();
    expect(bodies(vm)[0]).toBe('message 0');
    expect(vm.getState().canLoadOlder).toBe(true);
    await vm.getState().loadOlder();
    expect(vm.getState().canLoadOlder).toBe(false);
    for (let i = 0; i < 30 && vm.getState().anchored; i++) await vm.getState().loadNewer();
    expect(vm.getState().anchored).toBe(false);
    // Everything from the start to the live end, once each.
    expect(bodies(vm)).toEqual(range(0, 1005).map((n) => `message ${n}`));
    await room.addLiveEvents([new MatrixEvent(raw(1006))], { addToState: false });
    await settle();
    expect(bodies(vm).at(-1)).toBe('message 1006');
    await vm.getState().markRead();
    expect(receipts).toEqual(['$m1006']);
  });

  it('Jump to latest goes back to the live timeline; sending from a window does too', async () => {
    await vm.getState().showEvent('$m10');
    vm.getState().jumpToLatest();
    expect(vm.getState().anchored).toBe(false);
    expect(vm.getState().focus).toBeUndefined();
    expect(bodies(vm)).toEqual(range(1000, 1005).map((n) => `message ${n}`));
    // An event already in the live timeline is focused there, with no request.
    await vm.getState().showEvent('$m1003');
    expect(vm.getState().focus).toEqual({ eventId: '$m1003', status: 'found' });
    expect(vm.getState().anchored).toBe(false);

    await vm.getState().showEvent('$m10');
    vi.spyOn(client, 'sendMessage').mockResolvedValue({ event_id: '$sent' });
    vm.getState().send('hello', { kind: 'normal' });
    expect(vm.getState().anchored).toBe(false);
  });

  it('an event the server does not have is missing, and the live timeline stays', async () => {
    await vm.getState().showEvent('$nowhere');
    expect(vm.getState().focus).toEqual({ eventId: '$nowhere', status: 'missing' });
    expect(vm.getState().anchored).toBe(false);
    expect(bodies(vm)).toEqual(range(1000, 1005).map((n) => `message ${n}`));
  });
});
