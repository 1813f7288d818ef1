// describeSender is pure: the same facts give the same profile, whatever any store holds. The room's identity index
// (src/domain/room/roomIdentities.ts) over a real matrix-js-sdk Room gathers those facts: members indexed by key,
// not by the user ID the server mapped them to.
import { describe, expect, it } from 'vitest';
import { MatrixEvent } from 'matrix-js-sdk';
import { describeSender } from './describeSender';
import { initialIdentityState, reduceIdentity } from './badge';
import { keyMemberEvent, roomWithState } from './keyRoomFixtures';
import { identityStore } from './identityStore';
import { identityFactsOf, roomIdentities } from '../room/roomIdentities';

const ROOM = '!r:x';
const keyBob = 'l8Hft5qXKn1v-Hrg3p4_W8gELQVo8N13JkluMfmn2sQ';
const keyImpostor = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaE';

describe('describeSender (pure)', () => {
  const verified = reduceIdentity(initialIdentityState(keyBob, true), {
    type: 'member_info',
    link: { status: 'verified', localpart: 'bob', domain: 'beta', checked_ts: 1 },
  });

  it('names and badges from the facts passed in, and nothing else', () => {
    identityStore.setState(identityStore.getInitialState(), true);
    const facts = {
      identity: keyBob,
      sender: '@bob:beta',
      member: { userId: '@bob:beta', displayName: 'Bob', avatarMxc: 'mxc://beta/a' },
      state: verified,
      warnings: [],
    };
    const profile = describeSender(facts);
    expect(profile).toEqual({
      identity: keyBob,
      userId: '@bob:beta',
      name: 'Bob',
      avatarMxc: 'mxc://beta/a',
      badge: expect.objectContaining({ kind: 'verified', handle: '@bob:beta' }),
      handleLabel: '@bob:beta',
      warnings: [],
    });
    // Whatever the identity store says about this room, the answer for the same facts is the same.
    identityStore
      .getState()
      .ingestMemberInfo(ROOM, { [`@${keyBob}`]: { user_id: null, 'dev.wayfarer.link': { status: 'erased', checked_ts: 2 } } }, true);
    expect(describeSender(facts)).toEqual(profile);
  });

  it('without a member: the verified handle’s localpart, else "Member <key>"; erased members are named so', () => {
    expect(describeSender({ identity: keyBob, sender: '@x:y', state: verified, warnings: [] }).name).toBe('bob');
    expect(
      describeSender({ identity: keyImpostor, sender: '@x:y', state: initialIdentityState(keyImpostor, true), warnings: [] }),
    ).toMatchObject({ name: `Member ${keyImpostor.slice(0, 8)}`, handleLabel: '⚠ Unverified handle' });
    const erased = reduceIdentity(initialIdentityState(keyBob, true), { type: 'member_info', link: { status: 'erased', checked_ts: 1 } });
    expect(describeSender({ identity: keyBob, sender: '@x:y', state: erased, warnings: [] }).name).toBe('Erased member');
    expect(
      describeSender({ identity: '@dave:x', sender: '@dave:x', state: initialIdentityState('@dave:x', false), warnings: [] }),
    ).toMatchObject({ name: 'dave', handleLabel: '@dave:x' });
  });
});

describe('the room’s identity index', () => {
  const profileOf = (room: Parameters<typeof roomIdentities>[0], sender: { identity: string; sender: string }) =>
    roomIdentities(room).profile(sender, identityFactsOf(identityStore.getState(), room.roomId));

  it('one identity per key, even when the SDK holds two user IDs for it; badges from member_info', () => {
    identityStore.setState(identityStore.getInitialState(), true);
    const room = roomWithState(ROOM, [
      keyMemberEvent(ROOM, '@bob:beta', keyBob, { displayname: 'Bob', localpart: 'bob', domain: 'beta' }, 1),
      // After a link change the server maps the same key to another user ID.
      keyMemberEvent(ROOM, '@_unverified_bob_beta:gamma', keyBob, { displayname: 'Bob', localpart: 'bob', domain: 'beta' }, 2),
      keyMemberEvent(ROOM, '@_unverified_bob_beta2:gamma', keyImpostor, { localpart: 'bob', domain: 'beta' }, 3),
    ]);
    identityStore.getState().ingestMemberInfo(
      ROOM,
      {
        [`@${keyBob}`]: {
          user_id: '@bob:beta',
          'dev.wayfarer.link': { status: 'verified', localpart: 'bob', domain: 'beta', checked_ts: 1 },
        },
        [`@${keyImpostor}`]: {
          user_id: null,
          'dev.wayfarer.link': {
            status: 'unverified',
            localpart: 'bob',
            domain: 'beta',
            checked_ts: 1,
            reason: 'beta has not co-signed this member event',
          },
        },
      },
      true,
    );
    const index = roomIdentities(room);
    expect([...index.byIdentity().keys()].sort()).toEqual([keyImpostor, keyBob].sort());
    expect(index.identityOfUser('@bob:beta')).toBe(keyBob);
    expect(index.identityOfUser('@_unverified_bob_beta:gamma')).toBe(keyBob);

    const bob = profileOf(room, { identity: keyBob, sender: '@_unverified_bob_beta:gamma' });
    expect(bob).toMatchObject({ name: 'Bob', handleLabel: '@bob:beta', badge: { kind: 'verified' } });
    const impostor = profileOf(room, { identity: keyImpostor, sender: '@_unverified_bob_beta2:gamma' });
    expect(impostor.name).toBe(`Member ${keyImpostor.slice(0, 8)}`);
    expect(impostor.handleLabel).toBe('⚠ Unverified handle');
    // Both claim @bob:beta: both are warned, each about the other.
    expect(bob.warnings.map((w) => [w.other, w.kind])).toEqual([[keyImpostor, 'same_handle']]);
    expect(impostor.warnings.map((w) => [w.other, w.kind])).toEqual([[keyBob, 'same_handle']]);

    // A member_info change alone (no event) changes what is shown.
    identityStore.getState().ingestMemberInfo(
      ROOM,
      {
        [`@${keyBob}`]: {
          user_id: null,
          'dev.wayfarer.link': { status: 'unverified', localpart: 'bob', domain: 'beta', checked_ts: 2, reason: 'key retired' },
        },
      },
      false,
    );
    expect(profileOf(room, { identity: keyBob, sender: '@bob:beta' }).handleLabel).toBe('⚠ Unverified handle');
    expect(index.nameOfUser('@bob:beta', identityFactsOf(identityStore.getState(), ROOM))).toBe('Bob');
  });

  it('follows the room: a member change reports that identity and its new name', () => {
    const room = roomWithState('!follow:x', [
      keyMemberEvent('!follow:x', '@bob:beta', keyBob, { displayname: 'Bob', localpart: 'bob', domain: 'beta' }, 1),
    ]);
    const index = roomIdentities(room);
    const heard: string[][] = [];
    index.subscribe((changed) => heard.push([...changed]));
    room.currentState.setStateEvents([
      keyMemberEvent('!follow:x', '@bob:beta', keyBob, { displayname: 'Robert', localpart: 'bob', domain: 'beta' }, 5),
    ]);
    expect(heard).toEqual([[keyBob]]);
    expect(index.nameOfUser('@bob:beta', identityFactsOf(identityStore.getState(), '!follow:x'))).toBe('Robert');
  });

  it('classic rooms: the user ID is the identity and is shown as the handle', () => {
    const room = roomWithState(ROOM, [
      new MatrixEvent({
        type: 'm.room.member',
        event_id: '$c',
        room_id: ROOM,
        sender: '@dave:x',
        state_key: '@dave:x',
        origin_server_ts: 1,
        content: { membership: 'join', displayname: 'Dave' },
      }),
    ]);
    expect(profileOf(room, { identity: '@dave:x', sender: '@dave:x' })).toMatchObject({
      name: 'Dave',
      handleLabel: '@dave:x',
      badge: { kind: 'plain' },
    });
  });
});
