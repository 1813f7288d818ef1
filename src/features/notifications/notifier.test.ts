// @vitest-environment jsdom
// bindNotifications over a real matrix-js-sdk client and rooms: only live events after the first sync, push rules
// decide, the sender goes through identity (member keys), the open room in a visible tab stays quiet, click opens.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientEvent, createClient, MatrixEvent, Room, RoomEvent, SyncState, type IPushRules, type MatrixClient } from 'matrix-js-sdk';
import { chatStore } from '../../state/chatStore';
import { identityStore } from '../../domain/identity/identityStore';
import { bindNotifications } from './notifier';
import { notificationSettings } from './settings';
import { openRoom, routeStore, selectOpenRoomId } from '../../state/navigation';

const me = '@alice:x';
const keyMallory = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaE';

class FakeNotification extends EventTarget {
  static permission: NotificationPermission = 'granted';
  static shown: FakeNotification[] = [];
  onclick: ((this: FakeNotification, ev: Event) => unknown) | null = null;
  closed = false;
  constructor(
    readonly title: string,
    readonly options: NotificationOptions = {},
  ) {
    super();
    FakeNotification.shown.push(this);
    this.addEventListener('click', (ev) => this.onclick?.call(this, ev));
  }
  close() {
    this.closed = true;
  }
}

const pushRules = {
  global: {
    override: [
      // The user muted !quiet:x.
      {
        rule_id: '!quiet:x',
        default: false,
        enabled: true,
        conditions: [{ kind: 'event_match', key: 'room_id', pattern: '!quiet:x' }],
        actions: [],
      },
    ],
    underride: [
      {
        rule_id: '.m.rule.message',
        default: true,
        enabled: true,
        conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.message' }],
        actions: ['notify'],
      },
    ],
  },
} as unknown as IPushRules;

function state(roomId: string, type: string, stateKey: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return new MatrixEvent({
    type,
    room_id: roomId,
    sender: stateKey || me,
    state_key: stateKey,
    event_id: `$${type}${stateKey}${roomId}`,
    origin_server_ts: 1,
    content,
    ...extra,
  });
}

function joinedRoom(client: MatrixClient, roomId: string, name: string, members: MatrixEvent[] = []): Room {
  const room = new Room(roomId, client, me);
  room.currentState.setStateEvents([
    state(roomId, 'm.room.name', '', { name }),
    state(roomId, 'm.room.member', me, { membership: 'join' }),
    ...members,
  ]);
  room.updateMyMembership('join');
  room.recalculate();
  return room;
}

let counter = 0;
function message(room: Room, sender: string, body: string, extra: Record<string, unknown> = {}) {
  counter += 1;
  return new MatrixEvent({
    type: 'm.room.message',
    room_id: room.roomId,
    sender,
    event_id: `$msg${counter}`,
    origin_server_ts: 10 + counter,
    content: { msgtype: 'm.text', body },
    ...extra,
  });
}

function arrive(client: MatrixClient, room: Room, event: MatrixEvent, options: { toStart?: boolean; live?: boolean } = {}) {
  client.emit(RoomEvent.Timeline, event, room, options.toStart ?? false, false, {
    liveEvent: options.live ?? true,
    timeline: room.getLiveTimeline(),
  });
}

let visibility: DocumentVisibilityState = 'visible';

describe('bindNotifications', () => {
  let client: MatrixClient;
  let stop: () => void;
  let garden: Room;

  beforeEach(() => {
    FakeNotification.shown = [];
    (globalThis as unknown as { Notification: unknown }).Notification = FakeNotification;
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
    visibility = 'visible';
    window.focus = () => undefined; // jsdom has no window focus
    client = createClient({ baseUrl: 'http://hs.invalid', userId: me });
    client.pushRules = pushRules;
    garden = joinedRoom(client, '!garden:x', 'Garden', [
      state('!garden:x', 'm.room.member', '@bob:x', { membership: 'join', displayname: 'Bob' }),
    ]);
    chatStore.setState(chatStore.getInitialState(), true);
    openRoom('!lounge:x');
    notificationSettings.setState({ loaded: true, enabled: true, permission: 'granted' });
    stop = bindNotifications(client);
  });

  afterEach(() => stop());

  const shown = () => FakeNotification.shown.map((n) => [n.title, n.options.body]);

  it('stays quiet through the first sync, then notifies live messages from others', () => {
    arrive(client, garden, message(garden, '@bob:x', 'from before'));
    expect(shown()).toEqual([]);
    client.emit(ClientEvent.Sync, SyncState.Prepared, null);
    arrive(client, garden, message(garden, '@bob:x', 'hello alice'));
    arrive(client, garden, message(garden, me, 'my own'));
    arrive(client, garden, message(garden, '@bob:x', 'older, paginated'), { toStart: true });
    arrive(client, garden, message(garden, '@bob:x', 'not live'), { live: false });
    expect(shown()).toEqual([['Garden', 'Bob: hello alice']]);
  });

  it('push rules decide: a muted room never notifies', () => {
    client.emit(ClientEvent.Sync, SyncState.Prepared, null);
    const quiet = joinedRoom(client, '!quiet:x', 'Quiet');
    arrive(client, quiet, message(quiet, '@bob:x', 'psst'));
    expect(shown()).toEqual([]);
  });

  it('the open room is quiet while the tab is visible, not when it is hidden; turning it off stops all', () => {
    client.emit(ClientEvent.Sync, SyncState.Prepared, null);
    openRoom('!garden:x');
    arrive(client, garden, message(garden, '@bob:x', 'you are looking'));
    visibility = 'hidden';
    arrive(client, garden, message(garden, '@bob:x', 'you looked away'));
    notificationSettings.setState({ enabled: false });
    arrive(client, garden, message(garden, '@bob:x', 'switched off'));
    expect(shown()).toEqual([['Garden', 'Bob: you looked away']]);
  });

  it('the sender is resolved by member key: an unverified claim reads as such, never as a handle', () => {
    client.emit(ClientEvent.Sync, SyncState.Prepared, null);
    const keyed = joinedRoom(client, '!keyed:x', 'Keyed', [
      state(
        '!keyed:x',
        'm.room.member',
        '@_unverified_bob_beta:x',
        { membership: 'join', displayname: 'Bob', localpart: 'bob', domain: 'beta' },
        { unsigned: { 'org.matrix.msc4428.stable_id_state_key': `@${keyMallory}` } },
      ),
    ]);
    identityStore.getState().ingestMemberInfo(
      '!keyed:x',
      {
        [`@${keyMallory}`]: {
          user_id: null,
          'dev.wayfarer.link': { status: 'unverified', localpart: 'bob', domain: 'beta', checked_ts: 1, reason: 'not co-signed' },
        },
      },
      true,
    );
    arrive(
      client,
      keyed,
      message(keyed, '@_unverified_bob_beta:x', 'it is me, bob', { unsigned: { 'org.matrix.msc4428.stable_id': `@${keyMallory}` } }),
    );
    expect(shown()).toEqual([['Keyed', '⚠ Unverified handle Bob: it is me, bob']]);
  });

  it('clicking the notification opens its room and closes it', () => {
    client.emit(ClientEvent.Sync, SyncState.Prepared, null);
    arrive(client, garden, message(garden, '@bob:x', 'come here'));
    const notification = FakeNotification.shown[0]!;
    notification.dispatchEvent(new Event('click'));
    expect(selectOpenRoomId(routeStore.getState())).toBe('!garden:x');
    expect(notification.closed).toBe(true);
  });
});
