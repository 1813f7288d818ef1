import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { roomIdServer, shortRoomId } from '../../protocol';
import { directRoomsAwaitingLinks, visibleRooms, withHints, type RoomSummary } from './roomList';
import { roomSummary } from './roomFixtures';

const room = roomSummary;

const hintsOf = (rooms: RoomSummary[]) => Object.fromEntries(withHints(rooms).map((r) => [r.roomId, r.hint]));

describe('withHints: rooms that share a name are told apart', () => {
  it('gives two DMs named "Bob" the other member’s handle, and leaves rooms with their own name alone', () => {
    const rooms = [
      room('!dm1:alpha.localhost', { name: 'Bob', isDirect: true, dmHandle: '@bob:alpha.localhost', dmKey: 'Abcd1234' }),
      room('!dm2:alpha.localhost', { name: 'Bob', isDirect: true, dmHandle: '@bob:beta.localhost', dmKey: 'Wxyz9876' }),
      room('!lounge:alpha.localhost', { name: 'Lounge', alias: '#lounge:alpha.localhost' }),
    ];
    expect(hintsOf(rooms)).toEqual({
      '!dm1:alpha.localhost': '@bob:alpha.localhost',
      '!dm2:alpha.localhost': '@bob:beta.localhost',
      '!lounge:alpha.localhost': undefined,
    });
  });

  it('gives group rooms their canonical alias, else the server part of the room ID', () => {
    const rooms = [
      room('!a:alpha.localhost', { name: 'Garden', alias: '#garden:alpha.localhost' }),
      room('!b:beta.localhost', { name: 'Garden' }),
    ];
    expect(hintsOf(rooms)).toEqual({ '!a:alpha.localhost': '#garden:alpha.localhost', '!b:beta.localhost': 'beta.localhost' });
  });

  it('falls back to the start of the room ID for room version 12 IDs, which have no server part', () => {
    const rooms = [room('!K3yHashOfTheCreateEvent', { name: 'Garden' }), room('!OtherHashOfAnotherOne', { name: 'Garden' })];
    expect(hintsOf(rooms)).toEqual({ '!K3yHashOfTheCreateEvent': '!K3yHashO…', '!OtherHashOfAnotherOne': '!OtherHas…' });
  });

  it('treats names that differ only in case, accents or outer spaces as the same', () => {
    const rooms = [room('!a:alpha', { name: 'Café' }), room('!b:beta', { name: ' cafe ' }), room('!c:gamma', { name: 'Cafeteria' })];
    expect(hintsOf(rooms)).toEqual({ '!a:alpha': 'alpha', '!b:beta': 'beta', '!c:gamma': undefined });
  });

  it('adds the key when two DMs show the same handle words (both unverified)', () => {
    const rooms = [
      room('!dm1:alpha', { name: 'Bob', isDirect: true, dmHandle: '⚠ Unverified handle', dmKey: 'Abcd1234' }),
      room('!dm2:alpha', { name: 'Bob', isDirect: true, dmHandle: '⚠ Unverified handle', dmKey: 'Wxyz9876' }),
    ];
    expect(hintsOf(rooms)).toEqual({
      '!dm1:alpha': '⚠ Unverified handle · key Abcd1234',
      '!dm2:alpha': '⚠ Unverified handle · key Wxyz9876',
    });
  });

  it('adds the start of the room ID when two rooms of one server have no alias', () => {
    const rooms = [
      room('!first111:alpha', { name: 'Chat' }),
      room('!second22:alpha', { name: 'Chat' }),
      room('!third:beta', { name: 'Chat' }),
    ];
    expect(hintsOf(rooms)).toEqual({
      '!first111:alpha': 'alpha · !first111',
      '!second22:alpha': 'alpha · !second22',
      '!third:beta': 'beta',
    });
  });

  it('adds the start of the room ID for two DMs with the same person', () => {
    const rooms = [
      room('!dmOne111:alpha', { name: 'Bob', isDirect: true, dmHandle: '@bob:beta', dmKey: 'Abcd1234' }),
      room('!dmTwo222:alpha', { name: 'Bob', isDirect: true, dmHandle: '@bob:beta', dmKey: 'Abcd1234' }),
    ];
    expect(hintsOf(rooms)).toEqual({
      '!dmOne111:alpha': '@bob:beta · key Abcd1234 · !dmOne111',
      '!dmTwo222:alpha': '@bob:beta · key Abcd1234 · !dmTwo222',
    });
  });

  it('tells a DM from a group room of the same name, and a DM whose partner is unknown by its room', () => {
    const rooms = [
      room('!dm:alpha', { name: 'Bob', isDirect: true, dmHandle: '@bob:beta' }),
      room('!group:alpha', { name: 'Bob', alias: '#bob:alpha' }),
      room('!lonely:gamma', { name: 'Bob', isDirect: true }),
    ];
    expect(hintsOf(rooms)).toEqual({ '!dm:alpha': '@bob:beta', '!group:alpha': '#bob:alpha', '!lonely:gamma': 'gamma' });
  });

  it('compares invites with joined rooms too: both are in the same list', () => {
    const rooms = [
      room('!a:alpha', { name: 'Bob', isDirect: true, dmHandle: '@bob:alpha' }),
      room('!b:alpha', { name: 'Bob', isDirect: true, membership: 'invite', dmHandle: '@bob:beta' }),
    ];
    expect(hintsOf(rooms)).toEqual({ '!a:alpha': '@bob:alpha', '!b:alpha': '@bob:beta' });
  });

  it('gives every room of a shared name a hint, and distinct rooms distinct hints (property)', () => {
    const names = fc.constantFrom('Bob', 'bob', 'Garden', 'Lounge');
    const servers = fc.constantFrom('alpha', 'beta', undefined);
    const arbRoom = fc.record({
      id: fc.stringMatching(/^[A-Za-z0-9]{12}$/),
      name: names,
      server: servers,
      isDirect: fc.boolean(),
      dmHandle: fc.option(fc.constantFrom('@bob:alpha', '@bob:beta', '⚠ Unverified handle'), { nil: undefined }),
      dmKey: fc.option(fc.stringMatching(/^[A-Za-z0-9]{8}$/), { nil: undefined }),
      alias: fc.option(fc.constantFrom('#a:alpha', '#b:beta'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbRoom, { selector: (r) => r.id, maxLength: 8 }), (specs) => {
        const rooms = specs.map((s) =>
          room(`!${s.id}${s.server ? `:${s.server}` : ''}`, {
            name: s.name,
            isDirect: s.isDirect,
            dmHandle: s.dmHandle,
            dmKey: s.dmKey,
            alias: s.alias,
          }),
        );
        const entries = withHints(rooms);
        expect(entries.map((e) => e.roomId)).toEqual(rooms.map((r) => r.roomId));
        for (const entry of entries) {
          const shared = rooms.filter((r) => r.name.toLowerCase() === entry.name.toLowerCase()).length > 1;
          expect(entry.hint !== undefined).toBe(shared);
        }
        // The start of the room ID is the last resort: where those differ, every line of a shared name differs.
        const hinted = entries.filter((e) => e.hint);
        const lines = hinted.map((e) => `${e.name.toLowerCase()}|${e.hint}`);
        if (new Set(hinted.map((e) => shortRoomId(e.roomId))).size === hinted.length) expect(new Set(lines).size).toBe(lines.length);
      }),
    );
  });
});

describe('room list helpers', () => {
  it('takes the server part of a room ID, if there is one', () => {
    expect(roomIdServer('!abc:alpha.localhost:8481')).toBe('alpha.localhost:8481');
    expect(roomIdServer('!abcdef')).toBeUndefined();
    expect(roomIdServer('!abc:')).toBeUndefined();
    expect(shortRoomId('!abc:alpha')).toBe('!abc');
  });

  it('filters by the hint too, with hints worked out over all rooms', () => {
    const rooms = [
      room('!dm1:alpha', { name: 'Bob', isDirect: true, dmHandle: '@bob:alpha.localhost' }),
      room('!dm2:alpha', { name: 'Bob', isDirect: true, dmHandle: '@bob:beta.localhost' }),
    ];
    const shown = visibleRooms(rooms, 'beta');
    expect(shown.map((r) => [r.roomId, r.hint])).toEqual([['!dm2:alpha', '@bob:beta.localhost']]);
  });
});

describe('directRoomsAwaitingLinks', () => {
  it('lists joined DMs hinted by a member-key partner whose links are unknown, and nothing else', () => {
    const rooms = withHints([
      room('!keyed', { name: 'Bob', isDirect: true, dmHandle: '⚠ Unverified handle', dmKey: 'Abcd1234' }),
      room('!known', { name: 'Bob', isDirect: true, dmHandle: '@bob:beta', dmKey: 'Wxyz9876' }),
      room('!classic:alpha', { name: 'Bob', isDirect: true, dmHandle: '@bob:alpha' }),
      room('!invite', { name: 'Bob', isDirect: true, membership: 'invite', dmHandle: '⚠ Unverified handle', dmKey: 'Qrst5555' }),
      room('!group', { name: 'Bob' }),
      room('!alone', { name: 'Carol', isDirect: true, dmHandle: '⚠ Unverified handle', dmKey: 'Carol123' }),
    ]);
    expect(directRoomsAwaitingLinks(rooms, (roomId) => roomId === '!known')).toEqual(['!keyed']);
  });
});
