// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { ClientEvent, createClient, MatrixEvent, PendingEventOrdering, Room, RoomEvent, SyncState } from 'matrix-js-sdk';
import { createChatStore } from '../state/chatStore';
import { bindClient, holdRoomViewModel, previewOf, roomViewModel } from './bindings';
import { createIdentityStore } from './identity/identityStore';
import { t } from '../i18n';
import { identityFactsOf, roomIdentities } from './room/roomIdentities';

/** Listener counts of every event the client emitter knows, e.g. { 'sync': 1, 'Room.timeline': 1 }. */
function listenerCounts(client: ReturnType<typeof createClient>): Record<string, number> {
  return Object.fromEntries(
    client.eventNames().map((name) => [String(name), client.listenerCount(name as Parameters<typeof client.listenerCount>[0])]),
  );
}

describe('bindClient', () => {
  it('takes off every listener it put on the client, and only those', () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:9' });
    const before = listenerCounts(client);
    const unbind = bindClient(client, createChatStore(), () => {});
    const bound = listenerCounts(client);
    expect(Object.keys(bound).length).toBeGreaterThan(Object.keys(before).length);
    expect(bound).toMatchObject({ sync: (before.sync ?? 0) + 1, 'Room.timeline': (before['Room.timeline'] ?? 0) + 1 });
    unbind();
    const after = Object.fromEntries(Object.entries(listenerCounts(client)).filter(([, count]) => count > 0));
    expect(after).toEqual(before);
    client.stopClient();
  });

  it('makes one view model per open room, shared by its views, and stops them all when it unbinds', () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:9', userId: '@me:x' });
    const room = new Room('!r:x', client, '@me:x', { pendingEventOrdering: PendingEventOrdering.Detached });
    client.store.storeRoom(room);
    const rejoined = new Room('!r:x', client, '@me:x', { pendingEventOrdering: PendingEventOrdering.Detached });
    for (const r of [room, rejoined]) roomIdentities(r); // the room's identity index follows it for the Room's life
    const own = room.listenerCount(RoomEvent.Timeline);
    expect(() => roomViewModel(client, room)).toThrow(/bindClient/);
    const unbind = bindClient(client, createChatStore(), () => {});
    const vm = roomViewModel(client, room);
    expect(roomViewModel(client, room)).toBe(vm);
    const release = holdRoomViewModel(client, vm);
    expect(room.listenerCount(RoomEvent.Timeline)).toBe(own + 1);
    // A replaced Room object (a rejoin) gets a model of its own; the old one stops following the old room.
    const next = roomViewModel(client, rejoined);
    expect(next).not.toBe(vm);
    expect(room.listenerCount(RoomEvent.Timeline)).toBe(own);
    release();
    unbind();
    expect(rejoined.listenerCount(RoomEvent.Timeline)).toBe(own);
    expect(() => roomViewModel(client, rejoined)).toThrow(/bindClient/);
    client.stopClient();
  });

  it('says the connection is lost while the fetch watchdog finds the server silent, and wakes the SDK when it answers', () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:9' });
    let lost = false;
    const listeners = new Set<(lost: boolean) => void>();
    const liveness = {
      fetch: globalThis.fetch,
      lost: () => lost,
      subscribe: (listener: (lost: boolean) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      stop: () => {},
    };
    const set = (value: boolean) => {
      lost = value;
      for (const listener of listeners) listener(value);
    };
    let retries = 0;
    client.retryImmediately = () => {
      retries++;
      return true;
    };
    const store = createChatStore();
    const unbind = bindClient(client, store, () => {}, liveness);
    client.emit(ClientEvent.Sync, SyncState.Syncing, null);
    expect(store.getState().connection).toBe('syncing');
    set(true); // the SDK still believes it is syncing
    expect(store.getState().connection).toBe('reconnecting');
    set(false);
    expect(store.getState().connection).toBe('syncing');
    expect(retries).toBe(1);
    unbind();
    expect(listeners.size).toBe(0);
    client.stopClient();
  });
});

describe('previewOf', () => {
  it('names the newest message as a sentence for the view: text, emote, image, deleted and pruned (an erased account’s)', async () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:9', userId: '@me:x' });
    const room = new Room('!p:x', client, '@me:x', { pendingEventOrdering: PendingEventOrdering.Detached });
    const facts = identityFactsOf(createIdentityStore().getState(), room.roomId);
    const say = (id: string, content: Record<string, unknown>) =>
      room.addLiveEvents(
        [new MatrixEvent({ type: 'm.room.message', event_id: id, room_id: room.roomId, sender: '@ann:x', origin_server_ts: 1, content })],
        { addToState: false },
      );
    const preview = () => {
      const message = previewOf(room, facts);
      return message && t(message);
    };
    expect(previewOf(room, facts)).toBeUndefined();
    await say('$1', { msgtype: 'm.text', body: 'first line\nsecond' });
    expect(previewOf(room, facts)?.key).toBe('rooms.preview.text');
    expect(preview()).toMatch(/: first line$/);
    await say('$2', { msgtype: 'm.emote', body: 'waves' });
    expect(preview()).toMatch(/^\* .+ waves$/);
    await say('$3', { msgtype: 'm.image', body: 'cat.png' });
    expect(preview()).toMatch(/ sent an image$/);
    await say('$4', {});
    expect(preview()).toMatch(/: Message deleted$/);
    client.stopClient();
  });
});
