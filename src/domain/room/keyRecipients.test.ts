import { describe, expect, it } from 'vitest';
import { createClient, MatrixEvent, Room } from 'matrix-js-sdk';
import { MEMBER_KEYS_ROOM_VERSION } from '../../protocol';
import { keyRecipients } from './keyRecipients';

const KEYS = {
  alice: 'l8Hft5qXKn1vfHrg3p4-W8gELQVo8N13JkluMfmn2sQ',
  bob: 'Wx0wTQ0RUyyH3hdiHwcjVNp6SCLs4yJXgK7BodWLkJ8',
  carol: 'Q0bM4nE8LNRIvt0mp7uM9IHy6Z9lbEuYhDCDaG4eE2E',
  dave: 'd1m3q6CzBqWtZ5mJXS0E2kKxO5uB7jYyWq1rN2cF3Hk',
};

function room(version: string): Room {
  const client = createClient({ baseUrl: 'http://alpha.localhost', userId: '@alice:alpha' });
  const r = new Room('!r:alpha', client, '@alice:alpha');
  const member = (userId: string, key: string, membership = 'join') =>
    new MatrixEvent({
      type: 'm.room.member',
      state_key: userId,
      sender: userId,
      event_id: `$${key}`,
      room_id: r.roomId,
      content: { membership },
      unsigned: { 'org.matrix.msc4428.stable_id': `@${key}`, 'org.matrix.msc4428.stable_id_state_key': `@${key}` },
    });
  r.currentState.setStateEvents([
    new MatrixEvent({
      type: 'm.room.create',
      state_key: '',
      sender: '@alice:alpha',
      event_id: '$c',
      room_id: r.roomId,
      content: { room_version: version },
    }),
    member('@alice:alpha', KEYS.alice),
    member('@bob:beta', KEYS.bob),
    member('@_unverified_carol_gamma:alpha', KEYS.carol),
    member('@dave:delta', KEYS.dave, 'invite'),
  ]);
  return r;
}

const link = (status: string, userId: string | null) => ({ user_id: userId, 'dev.wayfarer.link': { status } }) as never;
const info = {
  [KEYS.alice]: link('verified', '@alice:alpha'),
  [KEYS.bob]: link('verified', '@bob:beta'),
  [KEYS.carol]: link('unverified', null),
  [KEYS.dave]: link('pending', null),
};

describe('keyRecipients (PROTOCOL.md §8)', () => {
  it('in a member-key room, gives room keys only to members whose link is verified', () => {
    const r = room(MEMBER_KEYS_ROOM_VERSION);
    const members = [...r.getMembersWithMembership('join'), ...r.getMembersWithMembership('invite')];
    const { recipients, withheld } = keyRecipients(r, members, info);
    expect(recipients.map((m) => m.userId).sort()).toEqual(['@alice:alpha', '@bob:beta']);
    expect(withheld.map((m) => m.userId).sort()).toEqual(['@_unverified_carol_gamma:alpha', '@dave:delta']);
  });

  it('a member whose link was never reported gets nothing either; a classic room shares with every member', () => {
    const r = room(MEMBER_KEYS_ROOM_VERSION);
    expect(keyRecipients(r, r.getMembersWithMembership('join'), undefined).recipients).toEqual([]);
    const classic = room('11');
    expect(keyRecipients(classic, classic.getMembersWithMembership('join'), undefined).recipients).toHaveLength(3);
  });

  it('a member who moved servers: keys go to the user ID its link names now, not to the one the SDK still lists', () => {
    const r = room(MEMBER_KEYS_ROOM_VERSION);
    const moved = (userId: string, ts: number) =>
      new MatrixEvent({
        type: 'm.room.member',
        state_key: userId,
        sender: userId,
        event_id: `$moved${ts}`,
        room_id: r.roomId,
        origin_server_ts: ts,
        content: { membership: 'join' },
        unsigned: { 'org.matrix.msc4428.stable_id': `@${KEYS.dave}`, 'org.matrix.msc4428.stable_id_state_key': `@${KEYS.dave}` },
      });
    r.currentState.setStateEvents([moved('@dave:delta', 1), moved('@dave:epsilon', 2)]);
    const { recipients, withheld } = keyRecipients(r, r.getMembersWithMembership('join'), {
      ...info,
      [KEYS.dave]: link('verified', '@dave:epsilon'),
    });
    expect(recipients.map((m) => m.userId).sort()).toEqual(['@alice:alpha', '@bob:beta', '@dave:epsilon']);
    expect(withheld.map((m) => m.userId)).toEqual(['@_unverified_carol_gamma:alpha']);
  });
});
