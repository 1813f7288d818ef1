import { describe, expect, it } from 'vitest';
import { directoryPeople, existingDirectRoom, publishedRooms } from './directory';

describe('directoryPeople', () => {
  it('shows each well-formed user once, never yourself, through the identity function (plain handle)', () => {
    const people = directoryPeople(
      [
        { user_id: '@bob:beta', display_name: 'Bobby' },
        { user_id: '@bob:beta', display_name: 'again' },
        { user_id: '@me:alpha' },
        { user_id: 'not-an-id' },
        { user_id: '@carol:alpha', display_name: '   ', avatar_url: 'https://tracker/x.png' },
      ],
      'bob',
      '@me:alpha',
    );
    expect(people.map((p) => [p.userId, p.name, p.badge.kind, p.handleLabel, p.avatarMxc])).toEqual([
      ['@bob:beta', 'Bobby', 'plain', '@bob:beta', undefined],
      ['@carol:alpha', 'carol', 'plain', '@carol:alpha', undefined],
    ]);
  });

  it('puts a typed full user ID first when the directory does not know it', () => {
    expect(directoryPeople([], '@dana:gamma', '@me:alpha').map((p) => p.userId)).toEqual(['@dana:gamma']);
    expect(directoryPeople([{ user_id: '@dana:gamma', display_name: 'Dana' }], ' @dana:gamma ', '@me:alpha').map((p) => p.name)).toEqual([
      'Dana',
    ]);
  });
});

describe('existingDirectRoom', () => {
  const memberships: Record<string, Record<string, string>> = {
    '!old:a': { '@me:a': 'join', '@bob:b': 'leave' },
    '!left:a': { '@me:a': 'leave', '@bob:b': 'join' },
    '!live:a': { '@me:a': 'join', '@bob:b': 'join' },
    '!invited:a': { '@me:a': 'join', '@bob:b': 'invite' },
  };
  const membership = (roomId: string, userId: string) => memberships[roomId]?.[userId];
  it('finds the newest m.direct room both of you are still in (or they are invited to)', () => {
    expect(existingDirectRoom({ '@bob:b': ['!live:a', '!invited:a'] }, '@bob:b', membership, '@me:a')).toBe('!invited:a');
    expect(existingDirectRoom({ '@bob:b': ['!live:a', '!old:a', '!left:a'] }, '@bob:b', membership, '@me:a')).toBe('!live:a');
  });
  it('finds none when you or they have left, or m.direct is malformed', () => {
    expect(existingDirectRoom({ '@bob:b': ['!old:a', '!left:a', '!unknown:a'] }, '@bob:b', membership, '@me:a')).toBeUndefined();
    expect(existingDirectRoom({ '@bob:b': 'oops' }, '@bob:b', membership, '@me:a')).toBeUndefined();
    expect(existingDirectRoom(undefined, '@bob:b', membership, '@me:a')).toBeUndefined();
  });
});

describe('publishedRooms', () => {
  it('keeps well-formed rooms, named by name, alias or ID', () => {
    expect(
      publishedRooms([
        { room_id: '!a:x', name: 'Lobby', num_joined_members: 3, topic: 'hi', canonical_alias: '#lobby:x' },
        { room_id: '!b:x', canonical_alias: '#b:x', num_joined_members: -1, join_rule: 'knock' },
        { room_id: '!c:x', avatar_url: 'javascript:alert(1)' },
        { room_id: 'nope' },
        null,
      ]),
    ).toEqual([
      { roomId: '!a:x', name: 'Lobby', alias: '#lobby:x', topic: 'hi', members: 3, joinable: true, knock: false },
      { roomId: '!b:x', name: '#b:x', alias: '#b:x', members: 0, joinable: false, knock: true },
      { roomId: '!c:x', name: '!c:x', members: 0, joinable: true, knock: false },
    ]);
    expect(publishedRooms('junk')).toEqual([]);
  });
});
