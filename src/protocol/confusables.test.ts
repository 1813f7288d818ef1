import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { editDistance, findConfusableMembers, mixedScripts, nameSkeleton } from './confusables';

describe('nameSkeleton', () => {
  it('maps Unicode look-alikes, case and invisible characters to one form', () => {
    expect(nameSkeleton('аlice')).toBe(nameSkeleton('alice')); // Cyrillic а
    expect(nameSkeleton('ALICE')).toBe(nameSkeleton('alice'));
    expect(nameSkeleton('al\u200bice')).toBe(nameSkeleton('alice'));
    expect(nameSkeleton('paypal')).toBe(nameSkeleton('раyраl'));
    expect(nameSkeleton('modern')).toBe(nameSkeleton('rnodern')); // m looks like rn
    expect(nameSkeleton('alice')).not.toBe(nameSkeleton('alicia'));
  });
});

describe('mixedScripts', () => {
  it('flags Latin mixed with Cyrillic or Greek, not plain names or Latin with CJK', () => {
    expect(mixedScripts('аlice')).toEqual(['Cyrillic', 'Latin']);
    expect(mixedScripts('Αlice')).toEqual(['Greek', 'Latin']);
    expect(mixedScripts('alice')).toBeUndefined();
    expect(mixedScripts('Алиса')).toBeUndefined();
    expect(mixedScripts('Yuki 雪')).toBeUndefined();
    expect(mixedScripts('1234 !!')).toBeUndefined();
  });
});

describe('editDistance', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('martix', 'matrix')).toBe(1);
    expect(editDistance('alice', 'alicee')).toBe(1);
    expect(editDistance('alice', 'bob')).toBe(5);
    expect(editDistance('alice', 'bob', 1)).toBe(2); // stops early past the limit
  });
  it('is symmetric and zero only for equal strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        expect(editDistance(a, b) === 0).toBe(a === b);
      }),
    );
  });
});

describe('findConfusableMembers', () => {
  const kinds = (result: ReturnType<typeof findConfusableMembers>, id: string) => (result.get(id) ?? []).map((m) => `${m.other}:${m.kind}`);

  it('warns both keys that claim the same handle, and nobody else', () => {
    const result = findConfusableMembers([
      { identity: 'K1', displayName: 'Bob', handle: '@bob:beta' },
      { identity: 'K2', displayName: 'Bob (really)', handle: '@bob:beta' },
      { identity: 'K3', displayName: 'Carol', handle: '@carol:gamma' },
    ]);
    expect(kinds(result, 'K1')).toEqual(['K2:same_handle']);
    expect(kinds(result, 'K2')).toEqual(['K1:same_handle']);
    expect(result.has('K3')).toBe(false);
  });

  it('warns on the same display name and on confusable ones', () => {
    const result = findConfusableMembers([
      { identity: 'K1', displayName: 'Alice', handle: '@alice:alpha' },
      { identity: 'K2', displayName: 'Alice', handle: '@alice2:beta' },
      { identity: 'K3', displayName: 'Аlice', handle: '@al:gamma' }, // Cyrillic А
    ]);
    expect(kinds(result, 'K1').sort()).toEqual(['K2:same_name', 'K3:confusable_name']);
    expect(result.get('K3')![0]!.detail).toContain('Cyrillic');
  });

  it('warns on handles one transposition apart (martix / matrix) and on Unicode look-alike handles', () => {
    const result = findConfusableMembers([
      { identity: 'K1', handle: '@alice:matrix.org' },
      { identity: 'K2', handle: '@alice:martix.org' },
      { identity: 'K3', handle: '@bob:matrix.org' },
      { identity: 'K4', handle: '@bоb:matrix.org' }, // Cyrillic о
    ]);
    expect(kinds(result, 'K1')).toEqual(['K2:similar_handle']);
    expect(kinds(result, 'K2')).toEqual(['K1:similar_handle']);
    expect(kinds(result, 'K3')).toEqual(['K4:confusable_handle']);
  });

  it('does not warn on short distinct localparts one letter apart, nor on one identity twice', () => {
    const result = findConfusableMembers([
      { identity: 'K1', displayName: 'Bob', handle: '@bob:beta' },
      { identity: 'K2', displayName: 'Rob', handle: '@rob:beta' },
      { identity: 'K1', displayName: 'Bob', handle: '@bob:beta' },
    ]);
    expect(result.size).toBe(0);
  });

  it('scales to thousands of members (bucketed, not pairwise)', () => {
    const claims = Array.from({ length: 5000 }, (_, i) => ({
      identity: `K${i}`,
      displayName: `Member ${i}`,
      handle: `@member${i}:server${i % 40}.example`,
    }));
    claims.push({ identity: 'X', displayName: 'Member 7', handle: '@member7:server7.example' });
    const result = findConfusableMembers(claims);
    expect(kinds(result, 'X')).toContain('K7:same_handle');
    expect(kinds(result, 'K7')).toContain('X:same_handle');
  });
});
