import { describe, expect, it } from 'vitest';
import {
  insertAtRoom,
  insertMention,
  insertRoomMention,
  matchMentions,
  matchRooms,
  mentionQuery,
  roomMentionQuery,
  type MentionCandidate,
} from './mentions';

const people: MentionCandidate[] = [
  { identity: 'K1', userId: '@bob:beta', name: 'Bob', badge: { kind: 'verified', handle: '@bob:beta', domain: 'beta' } },
  {
    identity: 'K2',
    userId: '@_unverified_bob_beta:gamma',
    name: 'Member 3Tim',
    badge: { kind: 'unverified', claimedHandle: '@bob:beta', reason: { key: 'identity.unverified.notVerified' } },
  },
  { identity: 'K3', userId: '@carol:gamma', name: 'Carol Baker', badge: { kind: 'verified', handle: '@carol:gamma', domain: 'gamma' } },
];

describe('mentions', () => {
  it('finds the @query before the caret', () => {
    expect(mentionQuery('hi @bo', 6)).toEqual({ start: 3, query: 'bo' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQuery('mail a@b', 8)).toBeUndefined();
    expect(mentionQuery('hi @bob there', 13)).toBeUndefined();
  });
  it('matches names and verified handles, never an unverified claim', () => {
    expect(matchMentions(people, 'bo').map((c) => c.identity)).toEqual(['K1']);
    expect(matchMentions(people, 'bak').map((c) => c.identity)).toEqual(['K3']);
    expect(matchMentions(people, 'member').map((c) => c.identity)).toEqual(['K2']);
    expect(matchMentions(people, '').length).toBe(3);
  });
  it('inserts a mention link and moves the caret after it', () => {
    const link = '[Bob](https://matrix.to/#/@bob:beta) ';
    expect(insertMention('hi @bo!', 3, 6, people[0]!)).toEqual({ text: `hi ${link}!`, caret: 3 + link.length });
  });

  it('finds the #query and links a room by its alias, or its ID with a via', () => {
    expect(roomMentionQuery('see #lob', 8)).toEqual({ start: 4, query: 'lob' });
    expect(roomMentionQuery('issue#4', 7)).toBeUndefined();
    const rooms = [
      { roomId: '!a:x', alias: '#lobby:alpha', name: 'Lobby' },
      { roomId: '!b', name: 'Back office' },
    ];
    expect(matchRooms(rooms, 'off').map((r) => r.roomId)).toEqual(['!b']);
    expect(matchRooms(rooms, 'lob').map((r) => r.roomId)).toEqual(['!a:x']);
    expect(insertRoomMention('see #lo', 4, 7, rooms[0]!, 'alpha')).toEqual({
      text: 'see [#lobby:alpha](https://matrix.to/#/#lobby:alpha) ',
      caret: 53,
    });
    expect(insertRoomMention('#b', 0, 2, rooms[1]!, 'alpha:8481').text).toBe('[Back office](https://matrix.to/#/!b?via=alpha%3A8481) ');
    expect(insertAtRoom('hey @ro', 4, 7)).toEqual({ text: 'hey @room ', caret: 10 });
  });
});
