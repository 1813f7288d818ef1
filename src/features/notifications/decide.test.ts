// The notification decision, with senders resolved through the room's identity index over a real matrix-js-sdk Room.
import { describe, expect, it } from 'vitest';
import type { Room } from 'matrix-js-sdk';
import { identityFactsOf, roomIdentities } from '../../domain/room/roomIdentities';
import { identityStore } from '../../domain/identity/identityStore';
import { keyMemberEvent, roomWithState } from '../../domain/identity/keyRoomFixtures';
import { decideNotification, messageText, senderLabel, tabTitle, type NotifiableEvent, type NotificationAppState } from './decide';
import { pushVerdict } from './notifier';

const ROOM = '!n:x';
const keyBob = 'l8Hft5qXKn1v-Hrg3p4_W8gELQVo8N13JkluMfmn2sQ';
const keyMallory = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaE';
const keyErased = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbE';

function keyRoom(): Room {
  const room = roomWithState(ROOM, [
    keyMemberEvent(ROOM, '@bob:beta', keyBob, { displayname: 'Bob', localpart: 'bob', domain: 'beta' }, 1),
    keyMemberEvent(ROOM, '@_unverified_bob_beta:gamma', keyMallory, { displayname: 'Bob', localpart: 'bob', domain: 'beta' }, 2),
    // A redacted member event keeps only the membership: the member is erased.
    keyMemberEvent(ROOM, '@_erased_1:gamma', keyErased, {}, 3),
  ]);
  identityStore.getState().ingestMemberInfo(
    ROOM,
    {
      [`@${keyBob}`]: {
        user_id: '@bob:beta',
        'dev.wayfarer.link': { status: 'verified', localpart: 'bob', domain: 'beta', checked_ts: 1 },
      },
      [`@${keyMallory}`]: {
        user_id: null,
        'dev.wayfarer.link': {
          status: 'unverified',
          localpart: 'bob',
          domain: 'beta',
          checked_ts: 1,
          reason: 'beta has not co-signed this member event',
        },
      },
      [`@${keyErased}`]: { user_id: null, 'dev.wayfarer.link': { status: 'erased', checked_ts: 1 } },
    },
    true,
  );
  return room;
}

const event = (overrides: Partial<NotifiableEvent> = {}): NotifiableEvent => ({
  roomId: ROOM,
  eventId: '$e1',
  type: 'm.room.message',
  content: { msgtype: 'm.text', body: 'lunch at noon, @carol?' },
  redacted: false,
  isOwn: false,
  isLive: true,
  isEdit: false,
  ...overrides,
});

const app = (overrides: Partial<NotificationAppState> = {}): NotificationAppState => ({
  enabled: true,
  permission: 'granted',
  membership: 'join',
  selectedRoomId: '!other:x',
  tabVisible: true,
  ...overrides,
});

const notify = { notify: true, highlight: true };
const plainSender = { name: 'Dave', badge: { kind: 'plain' as const, handle: '@dave:x' } };

const describeSender = (room: Room, sender: { identity: string; sender: string }) =>
  roomIdentities(room).profile(sender, identityFactsOf(identityStore.getState(), room.roomId));

describe('decideNotification: senders through identity', () => {
  const room = keyRoom();
  const bob = describeSender(room, { identity: keyBob, sender: '@bob:beta' });
  const mallory = describeSender(room, { identity: keyMallory, sender: '@_unverified_bob_beta:gamma' });
  const erased = describeSender(room, { identity: keyErased, sender: '@_erased_1:gamma' });

  it('a verified sender reads by display name', () => {
    expect(bob.badge.kind).toBe('verified');
    expect(decideNotification(event(), notify, app(), 'Garden', bob)).toEqual({
      roomId: ROOM,
      eventId: '$e1',
      title: 'Garden',
      body: 'Bob: lunch at noon, @carol?',
      tag: '!n:x|$e1',
      highlight: true,
    });
  });

  it('an unverified sender reads "⚠ Unverified handle" and the display name, never the claimed handle', () => {
    expect(mallory.badge.kind).toBe('unverified');
    const plan = decideNotification(event(), notify, app(), 'Garden', mallory);
    expect(plan?.body).toBe('⚠ Unverified handle Bob: lunch at noon, @carol?');
    expect(plan?.body).not.toContain('@bob:beta');
    expect(plan?.body).not.toContain('bob:beta');
  });

  it('an erased sender reads "Erased member"', () => {
    expect(erased.badge.kind).toBe('erased');
    expect(decideNotification(event(), notify, app(), 'Garden', erased)?.body).toBe('Erased member: lunch at noon, @carol?');
    expect(senderLabel({ name: 'Old name', badge: { kind: 'erased', shortKey: 'bbbbbbbb' } })).toBe('Erased member');
  });

  it('a contested handle is a warning too, not a bare name', () => {
    const body = decideNotification(event(), notify, app(), 'Garden', {
      name: 'Bob',
      badge: { kind: 'contested', claimedHandle: '@bob:beta', reason: { key: 'identity.unverified.notVerified' }, linkStatus: 'verified' },
    })?.body;
    expect(body).toBe('⚠ Contested handle Bob: lunch at noon, @carol?');
  });

  it('a classic sender reads by name; emotes and images read as sentences', () => {
    expect(decideNotification(event({ content: { msgtype: 'm.emote', body: 'waves' } }), notify, app(), 'Lounge', plainSender)?.body).toBe(
      '* Dave waves',
    );
    expect(
      decideNotification(event({ content: { msgtype: 'm.image', body: 'cat.png' } }), notify, app(), 'Lounge', plainSender)?.body,
    ).toBe('Dave sent an image');
    // A text that starts with "sent " is still a text, with its colon.
    expect(
      decideNotification(event({ content: { msgtype: 'm.text', body: 'sent you the map' } }), notify, app(), 'Lounge', plainSender)?.body,
    ).toBe('Dave: sent you the map');
  });
});

describe('decideNotification: when not to notify', () => {
  it('only what the push rules say notifies', () => {
    expect(decideNotification(event(), { notify: false, highlight: false }, app(), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event(), null, app(), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event(), { notify: true, highlight: false }, app(), 'Lounge', plainSender)?.highlight).toBe(false);
  });

  it('never for own, old, edited, redacted or wordless events, nor outside joined rooms', () => {
    expect(decideNotification(event({ isOwn: true }), notify, app(), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event({ isLive: false }), notify, app(), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event({ isEdit: true }), notify, app(), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event({ redacted: true }), notify, app(), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event({ type: 'm.room.topic', content: { topic: 'x' } }), notify, app(), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event({ content: { msgtype: 'm.text', body: '   ' } }), notify, app(), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event(), notify, app({ membership: 'invite' }), 'Lounge', plainSender)).toBeNull();
  });

  it('not for the open room while the tab is visible; yes when the tab is hidden', () => {
    expect(decideNotification(event(), notify, app({ selectedRoomId: ROOM }), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event(), notify, app({ selectedRoomId: ROOM, tabVisible: false }), 'Lounge', plainSender)).not.toBeNull();
  });

  it('only when the user turned it on and the browser allows it', () => {
    expect(decideNotification(event(), notify, app({ enabled: false }), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event(), notify, app({ permission: 'denied' }), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event(), notify, app({ permission: 'default' }), 'Lounge', plainSender)).toBeNull();
    expect(decideNotification(event(), notify, app({ permission: 'unsupported' }), 'Lounge', plainSender)).toBeNull();
  });

  it('malformed content gets no notification and no crash; long bodies are cut to one line', () => {
    expect(messageText('m.room.message', { body: 42 })).toBeUndefined();
    expect(decideNotification(event({ content: { body: ['x'] } }), notify, app(), 'Lounge', plainSender)).toBeNull();
    const long = decideNotification(
      event({ content: { msgtype: 'm.text', body: `first\nsecond ${'x'.repeat(500)}` } }),
      notify,
      app(),
      'Lounge',
      plainSender,
    )!;
    expect(long.body.length).toBe(200);
    expect(long.body.startsWith('Dave: first second')).toBe(true);
    expect(long.body.endsWith('…')).toBe(true);
  });
});

describe('pushVerdict and tabTitle', () => {
  it('reads notify and the highlight tweak from the SDK actions', () => {
    expect(pushVerdict({ notify: true, tweaks: { highlight: true, sound: 'default' } })).toEqual({ notify: true, highlight: true });
    expect(pushVerdict({ notify: true, tweaks: {} })).toEqual({ notify: true, highlight: false });
    expect(pushVerdict(null)).toBeNull();
  });

  it('puts the unread count before the name', () => {
    expect(tabTitle(0)).toBe('Wayfarer');
    expect(tabTitle(3)).toBe('(3) Wayfarer');
    expect(tabTitle(250)).toBe('(99+) Wayfarer');
    expect(tabTitle(Number.NaN)).toBe('Wayfarer');
  });
});
