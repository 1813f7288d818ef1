// describeSender over a real matrix-js-sdk Room: members indexed by key, not by the user ID the server mapped them to.
import { describe, expect, it } from 'vitest';
import { MatrixEvent } from 'matrix-js-sdk';
import { describeSender, identityOfUser, nameOfUser, roomIdentities } from './describeSender';
import { keyMemberEvent, roomWithState } from './keyRoomFixtures';
import { identityStore } from './identityStore';

const ROOM = '!r:x';
const keyBob = 'l8Hft5qXKn1v-Hrg3p4_W8gELQVo8N13JkluMfmn2sQ';
const keyImpostor = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaE';

describe('describeSender', () => {
  it('one identity per key, even when the SDK holds two user IDs for it; badges from member_info', () => {
    const room = roomWithState(ROOM, [
      keyMemberEvent(ROOM, '@bob:beta', keyBob, { displayname: 'Bob', localpart: 'bob', domain: 'beta' }, 1),
      // After a link change the server maps the same key to another user ID.
      keyMemberEvent(ROOM, '@_unverified_bob_beta:gamma', keyBob, { displayname: 'Bob', localpart: 'bob', domain: 'beta' }, 2),
      keyMemberEvent(ROOM, '@_unverified_bob_beta2:gamma', keyImpostor, { localpart: 'bob', domain: 'beta' }, 3),
    ]);
    identityStore.getState().ingestMemberInfo(
      ROOM,
      {
        [`@${keyBob}`]: { user_id: '@bob:beta', 'dev.wayfarer.link': { status: 'verified', localpart: 'bob', domain: 'beta', checked_ts: 1 } },
        [`@${keyImpostor}`]: { user_id: null, 'dev.wayfarer.link': { status: 'unverified', localpart: 'bob', domain: 'beta', checked_ts: 1, reason: 'beta has not co-signed this member event' } },
      },
      true,
    );
    expect([...roomIdentities(room).keys()].sort()).toEqual([keyImpostor, keyBob].sort());
    expect(identityOfUser(room, '@bob:beta')).toBe(keyBob);
    expect(identityOfUser(room, '@_unverified_bob_beta:gamma')).toBe(keyBob);

    const bob = describeSender(room, { identity: keyBob, sender: '@_unverified_bob_beta:gamma' });
    expect(bob).toMatchObject({ name: 'Bob', handleLabel: '@bob:beta', badge: { kind: 'verified' } });
    const impostor = describeSender(room, { identity: keyImpostor, sender: '@_unverified_bob_beta2:gamma' });
    expect(impostor.name).toBe(`Member ${keyImpostor.slice(0, 8)}`);
    expect(impostor.handleLabel).toBe('⚠ Unverified handle');
    // Both claim @bob:beta: both are warned, each about the other.
    expect(bob.warnings.map((w) => [w.other, w.kind])).toEqual([[keyImpostor, 'same_handle']]);
    expect(impostor.warnings.map((w) => [w.other, w.kind])).toEqual([[keyBob, 'same_handle']]);

    // A member_info change alone (no event) changes what is shown.
    identityStore.getState().ingestMemberInfo(ROOM, { [`@${keyBob}`]: { user_id: null, 'dev.wayfarer.link': { status: 'unverified', localpart: 'bob', domain: 'beta', checked_ts: 2, reason: 'key retired' } } }, false);
    expect(describeSender(room, { identity: keyBob, sender: '@bob:beta' }).handleLabel).toBe('⚠ Unverified handle');
    expect(nameOfUser(room, '@bob:beta')).toBe('Bob');
  });

  it('classic rooms: the user ID is the identity and is shown as the handle', () => {
    const room = roomWithState(ROOM, [new MatrixEvent({ type: 'm.room.member', event_id: '$c', room_id: ROOM, sender: '@dave:x', state_key: '@dave:x', origin_server_ts: 1, content: { membership: 'join', displayname: 'Dave' } })]);
    expect(describeSender(room, { identity: '@dave:x', sender: '@dave:x' })).toMatchObject({ name: 'Dave', handleLabel: '@dave:x', badge: { kind: 'plain' } });
  });
});
