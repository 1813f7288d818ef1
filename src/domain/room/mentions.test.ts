import { describe, expect, it } from 'vitest';
import { mentionsInText, mentionsUser, messageMentions, newlyMentioned, plainMentionBody } from './mentions';

const bob = '[Bob](https://matrix.to/#/@bob:beta.localhost:8482)';
const key = '[Dana](https://matrix.to/#/@_unverified_dana_gamma:alpha)';

describe('mentions', () => {
  it('finds the users the text links to, once each, and @room as a word of its own', () => {
    expect(mentionsInText(`hi ${bob} and ${key}, ${bob}`)).toEqual({
      userIds: ['@bob:beta.localhost:8482', '@_unverified_dana_gamma:alpha'],
      room: false,
    });
    expect(mentionsInText('@room lunch!').room).toBe(true);
    expect(mentionsInText('tell (@room) now').room).toBe(true);
    expect(mentionsInText('mail @roomba:x or me@room').room).toBe(false);
    expect(mentionsInText('[@room](https://matrix.to/#/@room:x)').room).toBe(false);
    // Room links and other links are not people.
    expect(mentionsInText('[#lobby:x](https://matrix.to/#/#lobby:x) [site](https://example.org)').userIds).toEqual([]);
  });

  it('sends @room only with the power to, never mentions yourself, and is empty when nobody is mentioned', () => {
    expect(messageMentions(`${bob} @room`, { me: '@alice:alpha', canMentionRoom: true })).toEqual({
      user_ids: ['@bob:beta.localhost:8482'],
      room: true,
    });
    expect(messageMentions('@room', { me: '@alice:alpha', canMentionRoom: false })).toEqual({});
    expect(messageMentions('[me](https://matrix.to/#/@alice:alpha)', { me: '@alice:alpha', canMentionRoom: false })).toEqual({});
    expect(messageMentions('plain', { me: '@alice:alpha', canMentionRoom: true, alsoUsers: ['@carol:c'] })).toEqual({
      user_ids: ['@carol:c'],
    });
  });

  it('an edit notifies only who it newly mentions', () => {
    expect(newlyMentioned({ user_ids: ['@a:x', '@b:x'], room: true }, { user_ids: ['@a:x'] })).toEqual({ user_ids: ['@b:x'], room: true });
    expect(newlyMentioned({ user_ids: ['@a:x'], room: true }, { user_ids: ['@a:x'], room: true })).toEqual({});
    expect(newlyMentioned({ user_ids: ['@a:x'] }, undefined)).toEqual({ user_ids: ['@a:x'] });
  });

  it('reads mention links as their names in the plain body', () => {
    expect(plainMentionBody(`hi ${bob}!`)).toBe('hi Bob!');
    expect(plainMentionBody('[a \\[b\\]](https://matrix.to/#/@x:y)')).toBe('a [b]');
  });

  it('tells whether a message mentions a user, by m.mentions only', () => {
    expect(mentionsUser({ body: 'Bob', 'm.mentions': { user_ids: ['@bob:b'] } }, '@bob:b')).toBe(true);
    expect(mentionsUser({ body: 'all', 'm.mentions': { room: true } }, '@bob:b')).toBe(true);
    expect(mentionsUser({ body: 'Bob', 'm.mentions': {} }, '@bob:b')).toBe(false);
    expect(mentionsUser({ body: '@bob:b' }, '@bob:b')).toBe(false);
    expect(mentionsUser({ 'm.mentions': { user_ids: '@bob:b' } }, '@bob:b')).toBe(false);
  });
});
