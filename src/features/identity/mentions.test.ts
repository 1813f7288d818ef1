import { describe, expect, it } from 'vitest';
import { insertMention, matchMentions, mentionQuery, type MentionCandidate } from './mentions';

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
});
