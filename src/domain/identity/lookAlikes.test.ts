import { describe, expect, it } from 'vitest';
import { findConfusableMembers } from '../../protocol/confusables';
import { copyOfPair, rankLookAlikes, type LookAlikeFacts } from './lookAlikes';

const nameMatch = { kind: 'same_name' } as const;
const handleMatch = { kind: 'same_handle' } as const;

describe('copyOfPair', () => {
  it('ranks by link status first: verified beats pending beats unverified, erased or contested', () => {
    const verified: LookAlikeFacts = { standing: 'verified', nameSince: 200 };
    const pending: LookAlikeFacts = { standing: 'pending', nameSince: 100 };
    const unverified: LookAlikeFacts = { standing: 'unverified', nameSince: 50 };
    expect(copyOfPair(verified, pending, nameMatch)).toBe('b'); // earlier, but not verified
    expect(copyOfPair(pending, verified, nameMatch)).toBe('a');
    expect(copyOfPair(pending, unverified, nameMatch)).toBe('b');
    expect(copyOfPair(unverified, { standing: 'erased' }, nameMatch)).toBe('b'); // same standing; no date is no older
    expect(copyOfPair({ standing: 'contested', nameSince: 1 }, verified, nameMatch)).toBe('a');
  });
  it('then by who had the claim first: the name for name look-alikes, the handle for handle ones', () => {
    const bob: LookAlikeFacts = { standing: 'verified', nameSince: 100, handleSince: 500 };
    const copy: LookAlikeFacts = { standing: 'verified', nameSince: 300, handleSince: 200 };
    expect(copyOfPair(bob, copy, nameMatch)).toBe('b');
    expect(copyOfPair(copy, bob, nameMatch)).toBe('a');
    expect(copyOfPair(bob, copy, handleMatch)).toBe('a');
    expect(copyOfPair(bob, copy, { kind: 'confusable_domain' })).toBe('a');
  });
  it('cannot tell two members apart with the same standing and the same or no date', () => {
    expect(copyOfPair({ standing: 'plain', nameSince: 5 }, { standing: 'plain', nameSince: 5 }, nameMatch)).toBeUndefined();
    expect(copyOfPair({ standing: 'unverified' }, { standing: 'unverified' }, nameMatch)).toBeUndefined();
  });
});

describe('rankLookAlikes', () => {
  const claims = [
    { identity: 'BOB', displayName: 'Bob', handle: '@bob:beta' },
    { identity: 'MALLORY', displayName: 'Bob', handle: '@bob:beta' },
    { identity: 'CAROL', displayName: 'Carol', handle: '@carol:gamma' },
  ];
  const facts: Record<string, LookAlikeFacts> = {
    BOB: { standing: 'verified', nameSince: 100, handleSince: 100 },
    MALLORY: { standing: 'unverified', nameSince: 50, handleSince: 50 },
    CAROL: { standing: 'verified' },
  };
  const ranked = (self?: string) => rankLookAlikes(findConfusableMembers(claims), (id) => facts[id]!, self);

  it('warns the forger and shows the verified victim neutrally, with a link to the other', () => {
    const result = ranked('CAROL');
    expect(result.get('MALLORY')).toEqual([expect.objectContaining({ other: 'BOB', warn: true })]);
    expect(result.get('BOB')).toEqual([expect.objectContaining({ other: 'MALLORY', warn: false })]);
    expect(result.has('CAROL')).toBe(false);
  });
  it('never warns you about yourself', () => {
    expect(ranked('BOB').get('BOB')![0]!.warn).toBe(false);
    // The forger looking at itself is not warned either; the victim stays neutral.
    const own = ranked('MALLORY');
    expect(own.get('MALLORY')![0]!.warn).toBe(false);
    expect(own.get('BOB')![0]!.warn).toBe(false);
  });
  it('warns both when nothing tells them apart', () => {
    const result = rankLookAlikes(findConfusableMembers(claims.slice(0, 2)), () => ({ standing: 'plain' }));
    expect([...result.values()].map((list) => list[0]!.warn)).toEqual([true, true]);
  });
});
